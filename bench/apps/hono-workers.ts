// Bench app for server workers (issue 25): a plain JSON route and a CPU-bound one (a fixed
// amount of JavaScript work, ~2 ms on these machines), the same for every server measured.
import { Hono } from "hono";
import { spin } from "./spin.ts";

const app = new Hono();
app.get("/hello", (c) => c.json({ message: "hello, world" }));
app.get("/cpu", (c) => c.json({ spin: spin() }));

export default app;

// Bench app for the request body path (issue 25): a Hono app that reads the body whole and
// answers it, with no work of its own, so what is measured is the server's body path.
import { Hono } from "hono";

const app = new Hono();
app.get("/hello", (c) => c.json({ message: "hello, world" }));
app.post("/echo", async (c) => c.body(await c.req.arrayBuffer(), 200, { "content-type": "application/octet-stream" }));
app.post("/json", async (c) => c.json(await c.req.json()));

export default app;

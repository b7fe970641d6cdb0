// Bench peer: bench/apps/hono-echo.ts served by @hono/node-server, as its users run it.
import { serve } from "@hono/node-server";
import app from "./hono-echo.ts";

serve({ fetch: app.fetch, port: Number(process.env.PORT), hostname: process.env.HOST ?? "127.0.0.1" });

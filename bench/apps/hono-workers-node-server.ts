// Bench peer: bench/apps/hono-workers.ts served by @hono/node-server (one process; it has no workers).
import { serve } from "@hono/node-server";
import app from "./hono-workers.ts";

serve({ fetch: app.fetch, port: Number(process.env.PORT), hostname: process.env.HOST ?? "127.0.0.1" });

// Bench fixture: an orders-style service with real dependencies (Hono routes, zod validation,
// the AWS SDK v3 DynamoDB client), about the size of a typical Lambda/Kubernetes Node service's
// bundle. The client is constructed but never called: no AWS is reachable here.
import { DynamoDBClient, GetItemCommand, PutItemCommand } from "@aws-sdk/client-dynamodb";
import { Hono } from "hono";
import { z } from "zod";

const version = "2"; // bench/container-small-push.mjs changes this one line
const table = process.env.TABLE ?? "orders";
const db = new DynamoDBClient({ region: process.env.AWS_REGION ?? "us-east-1" });

const Order = z.object({ id: z.string().min(1), items: z.array(z.object({ sku: z.string(), qty: z.number().int().positive() })).min(1) });

const app = new Hono();
app.get("/hello", (c) => c.json({ message: "hello", version }));
app.get("/orders/:id", async (c) => {
  const out = await db.send(new GetItemCommand({ TableName: table, Key: { id: { S: c.req.param("id") } } }));
  return out.Item ? c.json(out.Item) : c.notFound();
});
app.post("/orders", async (c) => {
  const parsed = Order.safeParse(await c.req.json());
  if (!parsed.success) return c.json({ error: parsed.error.issues }, 400);
  await db.send(new PutItemCommand({ TableName: table, Item: { id: { S: parsed.data.id }, body: { S: JSON.stringify(parsed.data) } } }));
  return c.json(parsed.data, 201);
});

export default app;

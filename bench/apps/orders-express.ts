// Bench fixture: the orders service of orders.ts on Express 5, with the AWS SDK v3 DynamoDB
// document client (lib-dynamodb over client-dynamodb) and zod, all created at module level, as an
// Express + SDK service is usually written. The client is never called: no AWS is reachable here.
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient, GetCommand, PutCommand } from "@aws-sdk/lib-dynamodb";
import express from "express";
import { z } from "zod";

const version = "1";
const table = process.env.TABLE ?? "orders";
const db = DynamoDBDocumentClient.from(new DynamoDBClient({ region: process.env.AWS_REGION ?? "us-east-1" }));

const Order = z.object({ id: z.string().min(1), items: z.array(z.object({ sku: z.string(), qty: z.number().int().positive() })).min(1) });

const app = express();
app.use(express.json());
app.get("/hello", (_req, res) => {
  res.json({ message: "hello", version });
});
app.get("/orders/:id", async (req, res) => {
  const out = await db.send(new GetCommand({ TableName: table, Key: { id: req.params.id } }));
  if (out.Item) res.json(out.Item);
  else res.status(404).json({ error: "not found" });
});
app.post("/orders", async (req, res) => {
  const parsed = Order.safeParse(req.body);
  if (!parsed.success) {
    res.status(400).json({ error: parsed.error.issues });
    return;
  }
  await db.send(new PutCommand({ TableName: table, Item: parsed.data }));
  res.status(201).json(parsed.data);
});

export default app;

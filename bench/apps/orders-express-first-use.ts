// Bench fixture: orders-express.ts changed the same way as orders-first-use.ts (env read where
// used, the SDK's document client loaded and created on first use) for `binship build --snapshot`.
import express from "express";
import { z } from "zod";

const version = "1";

let dbPromise: Promise<{ doc: typeof import("@aws-sdk/lib-dynamodb"); client: import("@aws-sdk/lib-dynamodb").DynamoDBDocumentClient }> | undefined;
const db = () =>
  (dbPromise ??= Promise.all([import("@aws-sdk/client-dynamodb"), import("@aws-sdk/lib-dynamodb")]).then(([sdk, doc]) => ({
    doc,
    client: doc.DynamoDBDocumentClient.from(new sdk.DynamoDBClient({ region: process.env.AWS_REGION ?? "us-east-1" })),
  })));
const table = () => process.env.TABLE ?? "orders";

const Order = z.object({ id: z.string().min(1), items: z.array(z.object({ sku: z.string(), qty: z.number().int().positive() })).min(1) });

const app = express();
app.use(express.json());
app.get("/hello", (_req, res) => {
  res.json({ message: "hello", version });
});
app.get("/orders/:id", async (req, res) => {
  const { doc, client } = await db();
  const out = await client.send(new doc.GetCommand({ TableName: table(), Key: { id: req.params.id } }));
  if (out.Item) res.json(out.Item);
  else res.status(404).json({ error: "not found" });
});
app.post("/orders", async (req, res) => {
  const parsed = Order.safeParse(req.body);
  if (!parsed.success) {
    res.status(400).json({ error: parsed.error.issues });
    return;
  }
  const { doc, client } = await db();
  await client.send(new doc.PutCommand({ TableName: table(), Item: parsed.data }));
  res.status(201).json(parsed.data);
});

export default app;

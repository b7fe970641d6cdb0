// Bench fixture: orders.ts as a user would change it for `binship build --snapshot` after the
// guard refused it (issue 22): the table name and region are read where they are used, and the
// DynamoDB client (with the AWS SDK, which reads the environment at its own module init) is
// loaded and created on first use, so the snapshot holds the Hono routes and zod schemas only.
import { Hono } from "hono";
import { z } from "zod";

const version = "1";

type Db = { client: import("@aws-sdk/client-dynamodb").DynamoDBClient; sdk: typeof import("@aws-sdk/client-dynamodb") };
let dbPromise: Promise<Db> | undefined;
const db = () =>
  (dbPromise ??= import("@aws-sdk/client-dynamodb").then((sdk) => ({ sdk, client: new sdk.DynamoDBClient({ region: process.env.AWS_REGION ?? "us-east-1" }) })));
const table = () => process.env.TABLE ?? "orders";

const Order = z.object({ id: z.string().min(1), items: z.array(z.object({ sku: z.string(), qty: z.number().int().positive() })).min(1) });

const app = new Hono();
app.get("/hello", (c) => c.json({ message: "hello", version }));
app.get("/orders/:id", async (c) => {
  const { sdk, client } = await db();
  const out = await client.send(new sdk.GetItemCommand({ TableName: table(), Key: { id: { S: c.req.param("id") } } }));
  return out.Item ? c.json(out.Item) : c.notFound();
});
app.post("/orders", async (c) => {
  const parsed = Order.safeParse(await c.req.json());
  if (!parsed.success) return c.json({ error: parsed.error.issues }, 400);
  const { sdk, client } = await db();
  await client.send(new sdk.PutItemCommand({ TableName: table(), Item: { id: { S: parsed.data.id }, body: { S: JSON.stringify(parsed.data) } } }));
  return c.json(parsed.data, 201);
});

export default app;

// Bench peer: the Express fixture on node:http with app.listen(), as Express users run it.
import app from "../../test/fixtures/apps/express/index.ts";

app.listen(Number(process.env.PORT), process.env.HOST ?? "127.0.0.1");

// Bench peer entry: orders-express.ts with app.listen() on $PORT, for runners that do not serve a
// default-exported request listener themselves (bun build --compile).
import app from "./orders-express.ts";

app.listen(Number(process.env.PORT), process.env.HOST ?? "127.0.0.1");

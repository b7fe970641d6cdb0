// A small Fetch-style service: the same code serves HTTP on $PORT and runs on Lambda.

import { greeting } from "./greeting.js";

export default {
  async fetch(request: Request): Promise<Response> {
    const url = new URL(request.url);
    if (url.pathname === "/hello") {
      const name = url.searchParams.get("name") ?? "world";
      return Response.json({ message: greeting(name) });
    }
    return new Response("not found\n", { status: 404 });
  },
};

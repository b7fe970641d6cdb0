// The probe every start-up bench polls with: the status of one GET on a fresh connection, 0 while
// nothing listens yet.

import http from "node:http";

export function get(port, path = "/hello") {
  return new Promise((res) => {
    const req = http.get({ host: "127.0.0.1", port, path, agent: false }, (r) => {
      r.resume();
      r.on("end", () => res(r.statusCode));
    });
    req.on("error", () => res(0));
  });
}

// What the real-service fixtures answer (apps/nestjs, apps/knex), shared by the tests that run
// them from the bundle, the executable, the Lambda zip and the container image.

import { expect } from "vitest";
import { httpRequest } from "./http.js";
import type { Service } from "./process.js";

/** NestJS: injection by type, a DTO validated through design:paramtypes, an entity with @Type. */
export async function expectArticles(svc: Service): Promise<void> {
  const list = await httpRequest(`${svc.url}/articles`);
  expect(list.status, list.body.toString() + svc.output()).toBe(200);
  expect(JSON.parse(list.body.toString())[0]).toEqual({ id: 1, title: "Hello from an injected store", createdAt: "1970-01-01T00:00:00.000Z" });
  const json = { "content-type": "application/json" };
  const bad = await httpRequest(`${svc.url}/articles`, { method: "POST", headers: json, body: '{"title":"x"}' });
  expect(bad.status).toBe(400); // the DTO was found through design:paramtypes and validated
  expect(bad.body.toString()).toContain("title must be longer than or equal to 3 characters");
  const good = await httpRequest(`${svc.url}/articles`, { method: "POST", headers: json, body: '{"title":"Decorated"}' });
  expect(good.status).toBe(201);
  expect(JSON.parse(good.body.toString())).toMatchObject({ id: 2, title: "Decorated" });
}

/** knex: the installed dialect (pg) builds its query; a missing one fails where it is required. */
export async function expectKnexServes(svc: Service): Promise<void> {
  const sql = await httpRequest(`${svc.url}/sql`);
  expect(sql.status, svc.output()).toBe(200);
  expect(sql.body.toString()).toBe('select * from "orders" where "id" = 1');
  const sqlite = await httpRequest(`${svc.url}/sqlite`);
  expect(sqlite.body.toString()).toContain("Cannot find module 'sqlite3' (required by node_modules/knex/lib/dialects/sqlite3/index.js)");
  expect(sqlite.body.toString()).toContain("npm install sqlite3");
}

// `binship invoke --http`: a request line becomes a Lambda function URL event, and the
// function's answer becomes the HTTP response a client of the function URL would see
// ("Invoking Lambda function URLs", https://docs.aws.amazon.com/lambda/latest/dg/urls-invocation.html:
// request payload format 2.0; a result without statusCode is taken as a 200 JSON body).

import { randomUUID } from "node:crypto";
import { STATUS_CODES } from "node:http";
import { BinshipError } from "../errors.js";
import type { InvokeResult } from "./emulator/index.js";

export interface HttpRequestSpec {
  request: string; // "GET /path?q=1"
  headers: string[]; // "Name: value"
  body?: string;
}

export interface HttpView {
  statusCode: number;
  headers: [string, string][];
  cookies: string[];
  body: Buffer;
}

function parseHeader(line: string): [string, string] {
  const colon = line.indexOf(":");
  if (colon <= 0) throw new BinshipError("USAGE", `--header takes "Name: value", got "${line}"`, { hint: 'Example: --header "content-type: application/json"' });
  return [line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim()];
}

export function functionUrlEvent(spec: HttpRequestSpec, region = "us-east-1", now = new Date()): Record<string, unknown> {
  const m = /^([A-Za-z]+)\s+(\/\S*)$/.exec(spec.request.trim());
  if (!m) throw new BinshipError("USAGE", `--http takes "METHOD /path?query", got "${spec.request}"`, { hint: 'Example: --http "GET /hello?name=x"' });
  const method = m[1]!.toUpperCase();
  const target = new URL(m[2]!, "http://function-url.invalid");
  const urlId = "binshiplocalinvoke0000000000000";
  const domain = `${urlId}.lambda-url.${region}.on.aws`;
  const headers: Record<string, string> = { host: domain, "user-agent": "binship-invoke", "x-forwarded-proto": "https", "x-forwarded-for": "127.0.0.1", "x-forwarded-port": "443" };
  let cookies: string[] = [];
  for (const [name, value] of spec.headers.map(parseHeader)) {
    // Function URLs hand cookies over apart, in `cookies`, not as a header.
    if (name === "cookie") cookies = [...cookies, ...value.split(";").map((c) => c.trim()).filter(Boolean)];
    else headers[name] = headers[name] && name !== "host" && name !== "user-agent" ? `${headers[name]},${value}` : value;
  }
  const rawPath = m[2]!.split("?")[0]!;
  return {
    version: "2.0",
    routeKey: "$default",
    rawPath,
    rawQueryString: target.search.slice(1),
    ...(cookies.length ? { cookies } : {}),
    headers,
    requestContext: {
      accountId: "anonymous",
      apiId: urlId,
      domainName: domain,
      domainPrefix: urlId,
      http: { method, path: decodeURIComponent(rawPath), protocol: "HTTP/1.1", sourceIp: "127.0.0.1", userAgent: headers["user-agent"] },
      requestId: randomUUID(),
      routeKey: "$default",
      stage: "$default",
      time: now.toUTCString(),
      timeEpoch: now.getTime(),
    },
    ...(spec.body !== undefined ? { body: spec.body } : {}),
    isBase64Encoded: false,
  };
}

function fromObject(value: Record<string, unknown>): HttpView {
  const headers = Object.entries((value.headers ?? {}) as Record<string, string>).map(([k, v]) => [k.toLowerCase(), String(v)] as [string, string]);
  const text = typeof value.body === "string" ? value.body : "";
  return {
    statusCode: Number(value.statusCode),
    headers,
    cookies: Array.isArray(value.cookies) ? value.cookies.map(String) : [],
    body: Buffer.from(text, value.isBase64Encoded ? "base64" : "utf8"),
  };
}

/** What a function URL client receives for this result (status "ok" only). */
export function functionUrlResponse(result: InvokeResult): HttpView {
  if (result.streamed) {
    const prelude = result.prelude as Record<string, unknown> | undefined;
    if (!prelude) return { statusCode: 200, headers: result.contentType ? [["content-type", result.contentType]] : [], cookies: [], body: result.payload };
    return { ...fromObject({ ...prelude, body: "" }), body: result.payload };
  }
  const text = result.payload.toString("utf8");
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    value = text;
  }
  if (value && typeof value === "object" && "statusCode" in value) return fromObject(value as Record<string, unknown>);
  return { statusCode: 200, headers: [["content-type", "application/json"]], cookies: [], body: Buffer.from(typeof value === "string" ? value : text) };
}

/** The response as curl -i would show it. */
export function formatHttp(view: HttpView): Buffer {
  const head = [
    `HTTP/1.1 ${view.statusCode} ${STATUS_CODES[view.statusCode] ?? ""}`.trimEnd(),
    ...view.headers.map(([k, v]) => `${k}: ${v}`),
    ...view.cookies.map((c) => `set-cookie: ${c}`),
    "",
    "",
  ].join("\r\n");
  return Buffer.concat([Buffer.from(head), view.body]);
}

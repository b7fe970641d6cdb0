// The AWS SDK v3 is bundled from its ES module build (esmPackages, src/bundle/module-builds.ts):
// the commands a service does not import are left out, the client still talks DynamoDB's wire
// protocol, and the rule can be turned off or overridden by --external.

import { readFileSync, writeFileSync } from "node:fs";
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { appsDir, runCli, tempDir } from "../helpers/cli.js";
import { httpRequest } from "../helpers/http.js";
import { startService } from "../helpers/process.js";

const entry = join(appsDir, "dynamodb", "index.ts");

// Stands in for DynamoDB (no AWS here), answering as the DynamoDB low-level API documents:
// POST / with `X-Amz-Target: DynamoDB_20120810.<Operation>` and a JSON body of content type
// `application/x-amz-json-1.0` (Amazon DynamoDB Developer Guide, "DynamoDB low-level API").
interface Seen { headers: IncomingHttpHeaders; body: string }
let dynamo: Server;
let endpoint: string;
const seen: Seen[] = [];

beforeAll(async () => {
  dynamo = createServer((req, res) => {
    let body = "";
    req.on("data", (d) => (body += d));
    req.on("end", () => {
      seen.push({ headers: req.headers, body });
      const key = (JSON.parse(body) as { Key?: { id?: { S?: string } } }).Key?.id?.S;
      res.writeHead(200, { "content-type": "application/x-amz-json-1.0", "x-amzn-requestid": "test" });
      res.end(JSON.stringify(key === "42" ? { Item: { id: { S: "42" }, total: { N: "7" } } } : {}));
    });
  });
  await new Promise<void>((r) => dynamo.listen(0, "127.0.0.1", r));
  endpoint = `http://127.0.0.1:${(dynamo.address() as { port: number }).port}`;
});
afterAll(() => new Promise<void>((r) => dynamo.close(() => r())));

async function bundle(extra: string[] = []) {
  const dir = tempDir();
  const out = join(dir, "app.cjs");
  const meta = join(dir, "meta.json");
  const r = await runCli(["bundle", entry, "-o", out, "--metafile", meta, ...extra]);
  expect(r.code, r.stderr).toBe(0);
  const metafile = JSON.parse(readFileSync(meta, "utf8")) as { inputs: Record<string, unknown>; outputs: Record<string, { inputs: Record<string, { bytesInOutput: number }> }> };
  const [output] = Object.values(metafile.outputs);
  // The files whose code is in the bundle (esbuild lists a file it tree-shook away with 0 bytes).
  const shipped = Object.entries(output.inputs).filter(([, v]) => v.bytesInOutput > 0).map(([k]) => k);
  return { out, inputs: Object.keys(metafile.inputs), shipped };
}

async function getOrder(bundleFile: string, id: string) {
  const env = { DYNAMODB_ENDPOINT: endpoint, AWS_ACCESS_KEY_ID: "AKIDEXAMPLE", AWS_SECRET_ACCESS_KEY: "secret", AWS_REGION: "", AWS_PROFILE: "" };
  const svc = await startService(process.execPath, [bundleFile], { env });
  try {
    return await httpRequest(`${svc.url}/orders/${id}`);
  } finally {
    await svc.stop();
  }
}

const fromBuild = (inputs: string[], pkg: string, build: "dist-es" | "dist-cjs") => inputs.some((i) => i.includes(`node_modules/${pkg}/${build}/`));

describe("esmPackages: the AWS SDK from its ES module build", () => {
  it("by default bundles the SDK's ES build, leaves out code the service never reaches (a browser-only package), and the client still works", async () => {
    const b = await bundle();
    expect(fromBuild(b.inputs, "@aws-sdk/client-dynamodb", "dist-es")).toBe(true);
    expect(b.inputs.filter((i) => /node_modules\/@(aws-sdk|smithy|aws-crypto)\/[^/]+\/dist-cjs\//.test(i))).toEqual([]);
    // What the service does not import is left out: the CommonJS builds pull in bowser, a browser
    // user-agent parser, which the ES builds only import from their browser files.
    expect(b.shipped.some((i) => i.includes("node_modules/bowser/"))).toBe(false);

    const before = seen.length;
    const r = await getOrder(b.out, "42");
    expect(r.status, r.body.toString()).toBe(200);
    expect(JSON.parse(r.body.toString())).toEqual({ id: "42", total: 7, client: "DynamoDBClient" });
    const call = seen[seen.length - 1];
    expect(seen.length).toBe(before + 1);
    expect(call.headers["x-amz-target"]).toBe("DynamoDB_20120810.GetItem");
    expect(call.headers["content-type"]).toBe("application/x-amz-json-1.0");
    expect(call.headers.authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/\d{8}\/eu-west-1\/dynamodb\/aws4_request/);
    expect(JSON.parse(call.body)).toEqual({ TableName: "orders", Key: { id: { S: "42" } } });
    expect((await getOrder(b.out, "7")).status).toBe(404);
  });

  it('--esm-packages "" bundles every package from its "main" again, and the service answers the same', async () => {
    const b = await bundle(["--esm-packages", ""]);
    expect(fromBuild(b.inputs, "@aws-sdk/client-dynamodb", "dist-cjs")).toBe(true);
    expect(b.shipped.some((i) => i.includes("node_modules/bowser/"))).toBe(true);
    const r = await getOrder(b.out, "42");
    expect(r.status, r.body.toString()).toBe(200);
    expect(JSON.parse(r.body.toString())).toMatchObject({ id: "42", total: 7 });
  });

  it("a config's esmPackages replaces the default list, and --external still leaves a package out", async () => {
    const dir = tempDir();
    const config = join(dir, "binship.config.json");
    writeFileSync(config, JSON.stringify({ esmPackages: ["@smithy/*"] }));
    const out = join(dir, "app.cjs");
    const meta = join(dir, "meta.json");
    const r = await runCli(["bundle", entry, "-o", out, "--metafile", meta, "--config", config, "--external", "@smithy/node-http-handler"]);
    expect(r.code, r.stderr).toBe(0);
    const inputs = Object.keys((JSON.parse(readFileSync(meta, "utf8")) as { inputs: Record<string, unknown> }).inputs);
    expect(fromBuild(inputs, "@aws-sdk/client-dynamodb", "dist-cjs")).toBe(true); // not in the list any more
    expect(inputs.some((i) => /node_modules\/@smithy\/[^/]+\/dist-cjs\//.test(i))).toBe(false);
    expect(readFileSync(out, "utf8")).toMatch(/require\("@smithy\/node-http-handler"\)/);
    expect(inputs.some((i) => i.includes("@smithy/node-http-handler/"))).toBe(false);
  });

  it("a pattern that is not a package name is a usage error naming the accepted forms", async () => {
    const r = await runCli(["bundle", entry, "-o", join(tempDir(), "app.cjs"), "--esm-packages", "aws-sdk/**"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--esm-packages must be package names, "@scope\/\*" or "\*"/);
  });
});

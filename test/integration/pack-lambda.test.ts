// End to end: pack the Hono and Express fixtures as Lambda zips (arm64 and x64, the default
// provided.al2023), then run each zip the way Lambda does (unpacked task root, bootstrap, the
// Runtime API) with HTTP API v2 events; arm64 runs under qemu-aarch64. One pack per case, shared.

import { createHash } from "node:crypto";
import { readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { readZip } from "../../src/invoke/unzip.js";
import { invokeArtifact } from "../../src/invoke/index.js";
import { httpEvent, readResult } from "../fixtures/events/index.js";
import { appsDir, runCli, tempDir } from "../helpers/cli.js";
import { requirePaths, requireTools } from "../helpers/tools.js";

const invokeTimeout = 180_000; // qemu-aarch64 runs Node slowly on a busy machine

type Arch = "arm64" | "x64";
const cases: { app: "hono" | "express"; arch: Arch }[] = [
  { app: "hono", arch: "x64" },
  { app: "express", arch: "x64" },
  { app: "hono", arch: "arm64" },
  { app: "express", arch: "arm64" },
];
const canRunArm64 = () => requireTools("qemu-aarch64") && requirePaths("/usr/aarch64-linux-gnu/lib/libc.so.6");

const packed = new Map<string, { zip: string; json: Record<string, any>; stderr: string }>();
const key = (app: string, arch: Arch) => `${app}-${arch}`;

beforeAll(async () => {
  const dir = tempDir("binship-pack-lambda-");
  for (const { app, arch } of cases) {
    const zip = join(dir, key(app, arch), "lambda.zip");
    const r = await runCli(["pack", "lambda", join(appsDir, app, "index.ts"), "--arch", arch, "-o", zip, "--json"]);
    if (r.code !== 0) throw new Error(`pack ${app} ${arch} failed (${r.code}):\n${r.stderr}`);
    packed.set(key(app, arch), { zip, json: JSON.parse(r.stdout), stderr: r.stderr });
  }
});

async function invokeZip(zip: string, calls: Parameters<typeof httpEvent>[1][]) {
  let logs = "";
  const result = await invokeArtifact({
    artifact: zip,
    events: calls.map((c) => httpEvent("apigw-v2", c)),
    emulator: { timeoutMs: 60_000 },
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin" }, // qemu-aarch64 is found on PATH
    output: (chunk) => (logs += chunk),
  });
  expect(result.launcher, logs).toBe("lambda-zip");
  expect(result.init.status, logs).toBe("ready");
  return result.results.map((r) => {
    expect(r.status, `${r.error?.errorMessage ?? ""}\n${logs}`).toBe("ok");
    return readResult("apigw-v2", r.payload);
  }, invokeTimeout);
}

describe.each(cases)("pack lambda $app --arch $arch", ({ app, arch }) => {
  it.runIf(arch === "x64" || canRunArm64())("binship invoke runs the zip and answers an HTTP API v2 event", async () => {
    const { zip } = packed.get(key(app, arch))!;
    const eventFile = join(tempDir("binship-event-"), "hello.json");
    writeFileSync(eventFile, JSON.stringify(httpEvent("apigw-v2", { path: "/hello", query: [["name", `${app}-${arch}`]] })));
    const r = await runCli(["invoke", zip, "--event", eventFile, "--json"]);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.launcher).toBe("lambda-zip");
    expect(out.invocations).toHaveLength(1);
    const hello = readResult("apigw-v2", Buffer.from(JSON.stringify(out.invocations[0].result)));
    expect(hello.status).toBe(200);
    expect(hello.headers).toContainEqual(["content-type", expect.stringMatching(/^application\/json/)]);
    expect(JSON.parse(hello.body.toString())).toEqual({ message: `hello, ${app}-${arch}` });
  }, invokeTimeout);

  it.runIf(arch === "x64" || canRunArm64())("maps binary bodies and cookies through the zip, on one warm process", async () => {
    const { zip } = packed.get(key(app, arch))!;
    const [echo, cookies] = await invokeZip(zip, [
      { method: "POST", path: "/echo", query: [["q", "1"]], headers: [["content-type", "application/octet-stream"]], body: Buffer.from([0, 1, 2, 254, 255]), base64: true },
      { path: "/cookies" },
    ]);
    expect(echo!.status).toBe(200);
    const echoed = JSON.parse(echo!.body.toString());
    expect(echoed).toMatchObject({ method: "POST", path: "/echo", query: { q: ["1"] }, bodyBytes: 5 });
    expect(Buffer.from(echoed.body, "base64")).toEqual(Buffer.from([0, 1, 2, 254, 255]));
    expect(cookies!.cookies).toEqual(["session=abc123; Path=/; HttpOnly", "theme=dark; Path=/", "lang=en; Path=/; Max-Age=3600"]);
  }, invokeTimeout);

  it("holds bootstrap (0755, the executable for this arch) and reports it in --json", () => {
    const { zip, json } = packed.get(key(app, arch))!;
    const bytes = readFileSync(zip);
    const digest = createHash("sha256").update(bytes).digest();
    expect(json).toMatchObject({
      path: zip,
      bytes: statSync(zip).size,
      sha256: digest.toString("hex"),
      sha256Base64: digest.toString("base64"),
      arch,
      runtime: "provided.al2023",
      changed: true,
    });
    expect(json.node).toMatch(/^24\.\d+\.\d+$/);
    const entries = readZip(bytes);
    expect(entries.filter((e) => !e.directory).map((e) => [e.name, e.mode.toString(8)])).toEqual([
      ["bootstrap", "755"],
      ["lib/libgcc_s.so.1", "644"], // the libstdc++/libgcc_s fallback (pack-lambda-fallback.test.ts)
      ["lib/libstdc++.so.6", "644"],
    ]);
    expect(json.unzippedBytes).toBe(entries.reduce((n, e) => n + e.bytes, 0));
    const elf = entries[0]!.data().subarray(0, 20);
    expect(elf.readUInt16LE(18)).toBe(arch === "arm64" ? 183 : 62); // e_machine: EM_AARCH64 / EM_X86_64
  }, invokeTimeout);
});

// The JSON Schema binship ships (schema.json, from configJsonSchema) and the validator agree:
// what one accepts the other accepts, what one refuses the other refuses. The README's config
// example is the fixture of the accepted side.

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Ajv2020 } from "ajv/dist/2020.js";
import { describe, expect, it } from "vitest";
import { configJsonSchema, validateConfigFile } from "../../src/config.js";
import { repoRoot } from "../helpers/cli.js";

const ajv = new Ajv2020({ allErrors: true, strict: true });
const schemaValid = ajv.compile(configJsonSchema());
const validatorValid = (raw: unknown) => {
  try {
    validateConfigFile(raw, "cfg", "/");
    return true;
  } catch {
    return false;
  }
};

/** The JSON block of the README's Configuration section. */
function readmeExample(): unknown {
  const readme = readFileSync(join(repoRoot, "README.md"), "utf8");
  const section = readme.slice(readme.indexOf("\n## Configuration\n"));
  const block = /```json\n([\s\S]*?)```/.exec(section);
  if (!block) throw new Error("README.md: no json block in ## Configuration");
  return JSON.parse(block[1]!);
}

describe("the config's JSON Schema", () => {
  it("accepts the README's example, as the validator does, and the example uses every section", () => {
    const example = readmeExample() as Record<string, unknown>;
    expect(schemaValid(example), JSON.stringify(schemaValid.errors)).toBe(true);
    expect(validatorValid(example)).toBe(true);
    expect(Object.keys(example)).toEqual(expect.arrayContaining(["$schema", "bundle", "build", "lambda", "container"]));
  });

  it("is the schema.json the package ships", () => {
    expect(JSON.parse(readFileSync(join(repoRoot, "schema.json"), "utf8"))).toEqual(configJsonSchema());
  });

  it.each([
    [{ entry: "src/index.ts", lambda: { layout: "layer", zipLevel: 9 }, container: { arch: "x64", port: 80 } }, true],
    [{ livenessPath: false, readinessPath: "/ready", define: { A: "1" }, arch: ["arm64"] }, true],
    [{ outfile: "dist/app.cjs" }, false],
    [{ runtime: "provided.al2" }, false],
    [{ bundle: { port: 3000 } }, false],
    [{ lambda: { layout: "bundle" } }, false],
    [{ container: { layout: "layer" } }, false],
    [{ lambda: { environment: { TABLE: "orders" }, memory: 1024, functionName: "Orders" } }, true],
    [{ environment: { TABLE: "orders" } }, false],
    [{ lambda: { environment: { RETRIES: 3 } } }, false],
    [{ lambda: { memory: 64 } }, false],
    [{ lambda: { memory: 512.5 } }, false],
    [{ lambda: { functionName: "my function" } }, false],
    [{ lambda: { zipLevel: 10 } }, false],
    [{ lambda: { zipLevel: 2.5 } }, false],
    [{ container: { port: 0 } }, false],
    [{ container: { name: "My_Service" } }, false],
    [{ node: "v24" }, false],
    [{ arch: [] }, false],
    [{ arch: ["riscv64"] }, false],
    [{ readinessPath: true }, false],
    [{ basePath: "prod" }, false],
    [{ define: { A: 1 } }, false],
    [{ shutdownGraceSeconds: 4000 }, false],
    [{ minfy: true }, false],
    [{ $schema: 1 }, false],
    [{ container: "x" }, false],
  ])("%j: schema and validator both say %s", (raw, valid) => {
    expect(schemaValid(raw)).toBe(valid);
    expect(validatorValid(raw)).toBe(valid);
  });
});

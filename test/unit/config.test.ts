import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { commandLine, configFor, configJsonSchema, flagName, loadConfig, mergeConfig, validateConfig, validateConfigFile } from "../../src/config.js";
import { BinshipError } from "../../src/errors.js";
import { tempDir } from "../helpers/cli.js";

function rejection(fn: () => unknown): BinshipError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(BinshipError);
    return err as BinshipError;
  }
  throw new Error("expected a BinshipError");
}

describe("validateConfig", () => {
  it("accepts every kind of key and makes paths absolute against the config's directory", () => {
    const config = validateConfig(
      { entry: "src/index.ts", minify: false, define: { STAGE: '"prod"' }, external: ["pg-native"], livenessPath: false, arch: ["arm64", "x64"], shutdownGraceSeconds: 2.5 },
      "binship.config.json",
      "/srv/app",
    );
    expect(config).toEqual({
      entry: "/srv/app/src/index.ts",
      minify: false,
      define: { STAGE: '"prod"' },
      external: ["pg-native"],
      livenessPath: false,
      arch: ["arm64", "x64"],
      shutdownGraceSeconds: 2.5,
    });
  });

  it("names the key, suggests the closest one and lists the known keys for an unknown key", () => {
    const err = rejection(() => validateConfig({ sourceMap: true }, "binship.config.json", "/"));
    expect(err).toMatchObject({ code: "CONFIG_INVALID", exitCode: 2 });
    expect(err.message).toBe('binship.config.json: "sourceMap" is not a known key');
    expect(err.hint).toMatch(/^Did you mean "sourcemap"\? Known keys here: entry, outfile, /);
  });

  it("names flags as typed on the command line", () => {
    const err = rejection(() => validateConfig({ shutdownGraceSeconds: 99999 }, commandLine, "/"));
    expect(err.message).toBe("--shutdown-grace-seconds must be a number of seconds from 0 to 3600, got 99999");
  });

  it("lists the accepted values of an enumeration, also inside lists", () => {
    const err = rejection(() => validateConfig({ arch: ["arm64", "riscv64"] }, "cfg", "/"));
    expect(err.message).toContain('"arch" has the value "riscv64", which is not accepted');
    expect(err.hint).toBe("Accepted values: arm64, x64.");
    expect(rejection(() => validateConfig({ arch: [] }, "cfg", "/")).message).toContain('"arch" must not be an empty list');
  });

  it.each([
    [{ minify: "false" }, '"minify" must be true or false, got "false"'],
    [{ entry: "" }, '"entry" must be a file path (string), got ""'],
    [{ external: "pg" }, '"external" must be an array of strings, got "pg"'],
    [{ define: { A: 1 } }, '"define" must be an object of string values'],
    [{ port: 70000 }, '"port" must be a port from 1 to 65535, got 70000'],
    [{ node: "v24" }, '"node" must be a version like "24", "24.21" or "24.21.0", got "v24"'],
    [{ readinessPath: true }, '"readinessPath" must be a string or false, got true'],
    [{ name: "My_Service" }, '"name" must be a DNS-1123 label'],
  ])("rejects %j", (raw, message) => {
    expect(rejection(() => validateConfig(raw, "cfg", "/")).message).toContain(message);
  });

  it("rejects anything but an object", () => {
    expect(rejection(() => validateConfig([], "cfg", "/")).message).toBe("cfg: the configuration must be a JSON object");
    expect(rejection(() => validateConfig(null, "cfg", "/")).message).toBe("cfg: the configuration must be a JSON object");
  });
});

describe("flags over the file", () => {
  it("mergeConfig lets a flag win and leaves keys the flags do not set", () => {
    expect(mergeConfig({ minify: true, node: "22", external: ["a"] }, { minify: false, node: undefined })).toEqual({ minify: false, node: "22", external: ["a"] });
  });

  it("mergeConfig merges define key by key, the flag's value winning", () => {
    expect(mergeConfig({ define: { A: "1", STAGE: '"dev"' } }, { define: { STAGE: '"prod"' } })).toEqual({ define: { A: "1", STAGE: '"prod"' } });
  });

  it("flagName spells keys as CLI flags", () => {
    expect(flagName("livenessPath")).toBe("--liveness-path");
    expect(flagName("node")).toBe("--node");
  });
});

describe("loadConfig", () => {
  it("prefers binship.config.json over the package.json key", async () => {
    const dir = tempDir();
    writeFileSync(join(dir, "binship.config.json"), JSON.stringify({ node: "22" }));
    writeFileSync(join(dir, "package.json"), JSON.stringify({ binship: { node: "20" } }));
    expect(await loadConfig(dir)).toEqual({ contents: { shared: { node: "22" }, sections: {} }, file: join(dir, "binship.config.json") });
  });

  it("reads the \"binship\" key of package.json", async () => {
    const dir = tempDir();
    writeFileSync(join(dir, "package.json"), JSON.stringify({ name: "x", binship: { entry: "src/main.ts" } }));
    expect(await loadConfig(dir)).toEqual({ contents: { shared: { entry: join(dir, "src", "main.ts") }, sections: {} }, file: join(dir, "package.json") });
  });

  it("is empty without either", async () => {
    const dir = tempDir();
    writeFileSync(join(dir, "package.json"), JSON.stringify({ name: "x" }));
    expect(await loadConfig(dir)).toEqual({ contents: { shared: {}, sections: {} } });
    expect(await loadConfig(tempDir())).toEqual({ contents: { shared: {}, sections: {} } });
  });

  it("resolves paths of an explicit --config file against that file's directory", async () => {
    const dir = tempDir();
    mkdirSync(join(dir, "deploy"));
    writeFileSync(join(dir, "deploy", "prod.json"), JSON.stringify({ entry: "../src/index.ts" }));
    const loaded = await loadConfig(dir, "deploy/prod.json");
    expect(loaded.contents.shared.entry).toBe(join(dir, "src", "index.ts"));
  });
});

describe("a config file: shared keys at the top, each command's own in its section", () => {
  const file = {
    $schema: "./node_modules/binship/schema.json",
    entry: "src/index.ts",
    node: "24",
    minify: true,
    bundle: { outfile: "dist/app.cjs", minify: false },
    build: { outfile: "dist/app-x64", arch: "x64" },
    lambda: { outfile: "dist/fn.zip", layout: "layer", runtime: "provided.al2", depfile: "dist/fn.d" },
    container: { outfile: "dist/container", layout: "bundle", arch: ["arm64", "x64"], port: 3000 },
  };

  it("gives each command the top level under its own section, paths against the file's directory", () => {
    const parsed = validateConfigFile(file, "binship.config.json", "/srv/app");
    expect(configFor(parsed, "bundle")).toEqual({ entry: "/srv/app/src/index.ts", node: "24", minify: false, outfile: "/srv/app/dist/app.cjs" });
    expect(configFor(parsed, "build")).toMatchObject({ outfile: "/srv/app/dist/app-x64", arch: "x64", minify: true });
    expect(configFor(parsed, "lambda")).toMatchObject({ outfile: "/srv/app/dist/fn.zip", lambdaLayout: "layer", runtime: "provided.al2", depfile: "/srv/app/dist/fn.d" });
    expect(configFor(parsed, "lambda").layout).toBeUndefined();
    expect(configFor(parsed, "container")).toMatchObject({ outfile: "/srv/app/dist/container", layout: "bundle", port: 3000 });
    expect(configFor(parsed, "container").lambdaLayout).toBeUndefined();
  });

  it("refuses a top-level outfile, naming the sections it belongs in", () => {
    const err = rejection(() => validateConfigFile({ outfile: "dist/app.cjs" }, "binship.config.json", "/"));
    expect(err.message).toBe('binship.config.json: "outfile" belongs in a command\'s section ("bundle", "build", "lambda", "container")');
    expect(err.hint).toContain('{ "bundle": { "outfile": … } }');
  });

  it("says where a command's key goes when it is written at the top or in another section", () => {
    expect(rejection(() => validateConfigFile({ runtime: "provided.al2" }, "cfg", "/")).message).toBe('cfg: "runtime" belongs in the "lambda" section');
    expect(rejection(() => validateConfigFile({ bundle: { port: 3000 } }, "cfg", "/")).message).toBe('cfg: "bundle.port" belongs in the "container" section');
  });

  it("lists every problem at once, each with its own hint", () => {
    const err = rejection(() => validateConfigFile({ minfy: true, node: "v24", lambda: { zipLevel: 12, outfile: 3 }, container: "x" }, "cfg", "/"));
    expect(err.message).toBe("cfg: 5 problems");
    expect(err.diagnostics.map((d) => d.text)).toEqual([
      '"container" must be an object of the container command\'s options, got "x"',
      '"minfy" is not a known key',
      '"node" must be a version like "24", "24.21" or "24.21.0", got "v24"',
      '"lambda.zipLevel" must be a whole number from 0 to 9, got 12',
      '"lambda.outfile" must be a file path (string), got 3',
    ]);
    expect(err.diagnostics[1]!.hint).toMatch(/^Did you mean "minify"\?/);
  });

  it("accepts $schema, and only as a string", () => {
    expect(validateConfigFile({ $schema: "x.json" }, "cfg", "/")).toEqual({ shared: {}, sections: {} });
    expect(rejection(() => validateConfigFile({ $schema: 1 }, "cfg", "/")).message).toBe('cfg: "$schema" must be a string, got 1');
  });
});

describe("the JSON Schema", () => {
  it("has every key the validator accepts, at the level it accepts it", () => {
    const schema = configJsonSchema() as { properties: Record<string, { properties?: Record<string, unknown> }>; additionalProperties: boolean };
    expect(schema.additionalProperties).toBe(false);
    expect(Object.keys(schema.properties)).toContain("entry");
    expect(Object.keys(schema.properties)).not.toContain("outfile");
    expect(Object.keys(schema.properties.lambda!.properties!)).toEqual(expect.arrayContaining(["outfile", "layout", "runtime", "entry"]));
    expect(Object.keys(schema.properties.container!.properties!)).not.toContain("runtime");
  });
});

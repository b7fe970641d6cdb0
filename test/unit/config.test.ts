import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { commandLine, flagName, loadConfig, mergeConfig, validateConfig } from "../../src/config.js";
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
    expect(err.hint).toMatch(/^Did you mean "sourcemap"\? Known keys: entry, outfile, node, /);
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
    expect(await loadConfig(dir)).toEqual({ config: { node: "22" }, file: join(dir, "binship.config.json") });
  });

  it("reads the \"binship\" key of package.json", async () => {
    const dir = tempDir();
    writeFileSync(join(dir, "package.json"), JSON.stringify({ name: "x", binship: { entry: "src/main.ts" } }));
    expect(await loadConfig(dir)).toEqual({ config: { entry: join(dir, "src", "main.ts") }, file: join(dir, "package.json") });
  });

  it("is empty without either", async () => {
    const dir = tempDir();
    writeFileSync(join(dir, "package.json"), JSON.stringify({ name: "x" }));
    expect(await loadConfig(dir)).toEqual({ config: {} });
    expect(await loadConfig(tempDir())).toEqual({ config: {} });
  });

  it("resolves paths of an explicit --config file against that file's directory", async () => {
    const dir = tempDir();
    mkdirSync(join(dir, "deploy"));
    writeFileSync(join(dir, "deploy", "prod.json"), JSON.stringify({ entry: "../src/index.ts" }));
    const loaded = await loadConfig(dir, "deploy/prod.json");
    expect(loaded.config.entry).toBe(join(dir, "src", "index.ts"));
  });
});

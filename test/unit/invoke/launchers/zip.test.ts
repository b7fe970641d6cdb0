import { existsSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { writeZip, zipEpoch, type ZipEntry } from "../../../../src/artifacts/zip.js";
import { BinshipError } from "../../../../src/errors.js";
import { zipLauncher } from "../../../../src/invoke/launchers/zip.js";
import { tempDir } from "../../../helpers/cli.js";
import { requirePaths } from "../../../helpers/tools.js";

async function zipOf(entries: ZipEntry[]): Promise<string> {
  const out = join(tempDir("binship-zl-"), "fn.zip");
  await writeZip({ outfile: out, entries, mtime: zipEpoch, level: 1 });
  return out;
}

const env = { AWS_LAMBDA_RUNTIME_API: "127.0.0.1:9001", LAMBDA_TASK_ROOT: "/var/task", PATH: "/usr/bin:/bin" };

describe("the Lambda zip launcher of binship invoke", () => {
  it("takes zips and nothing else", async () => {
    const launcher = zipLauncher("x64");
    expect(await launcher.matches(await zipOf([{ name: "bootstrap", source: Buffer.from("#!/bin/sh\n"), mode: 0o755 }]))).toBe(true);
    expect(await launcher.matches("/etc/hostname")).toBe(false);
  });

  it.runIf(requirePaths("/bin/true"))("unpacks into a fresh task root, points LAMBDA_TASK_ROOT at it and runs bootstrap there", async () => {
    const zip = await zipOf([{ name: "bootstrap", source: "/bin/true", mode: 0o755 }]);
    const launch = await zipLauncher("x64").launch(zip, env);
    const root = launch.env.LAMBDA_TASK_ROOT!;
    expect(root).not.toBe("/var/task");
    expect(launch.cwd).toBe(root);
    expect(launch.command).toBe(join(root, "bootstrap"));
    expect(statSync(launch.command).mode & 0o777).toBe(0o755);
    expect(readFileSync(launch.command).equals(readFileSync("/bin/true"))).toBe(true);
    expect(launch.env.AWS_LAMBDA_RUNTIME_API).toBe("127.0.0.1:9001");
    expect(launch.env.LD_LIBRARY_PATH).toBe(`${root}:${join(root, "lib")}`); // as the end of Lambda's
    await launch.cleanup();
    expect(existsSync(root)).toBe(false);
  });

  it.runIf(requirePaths("/bin/true"))("runs a launcher script itself when its app is for this machine", async () => {
    const zip = await zipOf([
      { name: "bootstrap", source: Buffer.from("#!/bin/sh\nexec \"$LAMBDA_TASK_ROOT/app\"\n"), mode: 0o755 },
      { name: "app", source: "/bin/true", mode: 0o755 },
    ]);
    const launch = await zipLauncher("x64").launch(zip, env);
    expect(launch.command).toBe(join(launch.cwd, "bootstrap"));
    expect(launch.args).toEqual([]);
    await launch.cleanup();
  });

  it("refuses a zip without bootstrap, or with one Lambda could not execute", async () => {
    const noBootstrap = await zipOf([{ name: "app/bootstrap", source: Buffer.from("x"), mode: 0o755 }]);
    const err = await zipLauncher("x64").launch(noBootstrap, env).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BinshipError);
    expect((err as BinshipError).message).toContain("has no bootstrap at its root");
    const notExecutable = await zipOf([{ name: "bootstrap", source: Buffer.from("#!/bin/sh\n"), mode: 0o644 }]);
    await expect(zipLauncher("x64").launch(notExecutable, env)).rejects.toThrow(/not executable \(mode 644\).*Runtime\.InvalidEntrypoint/);
  });
});

// Runs a Lambda deployment zip the way Lambda does: unpack it into a fresh task root, set
// LAMBDA_TASK_ROOT to it and execute its `bootstrap` ("Building a custom runtime",
// https://docs.aws.amazon.com/lambda/latest/dg/runtimes-custom.html). A foreign-arch bootstrap
// runs under qemu-user; a provided.al2 launcher script's loader too.

import { access, open, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

import { appName, layerRootVariable, libDir } from "../../artifacts/lambda/bootstrap.js";
import { lambdaLimits, loaderNames } from "../../artifacts/lambda/runtimes.js";
import { extractZip } from "../unzip.js";
import { BinshipError } from "../../errors.js";
import { makeScratch, type Scratch } from "../../util/stale.js";
import { elfArch, executableLauncher } from "./executable.js";
import type { Launch, LaunchExtras, Launcher } from "./types.js";

async function isZip(path: string): Promise<boolean> {
  const fh = await open(path, "r").catch(() => undefined);
  if (!fh) return false;
  try {
    const head = Buffer.alloc(4);
    const { bytesRead } = await fh.read(head, 0, 4, 0);
    return bytesRead === 4 && head.readUInt32LE(0) === 0x04034b50; // "PK\3\4"
  } finally {
    await fh.close();
  }
}

/** How to start the unpacked task root: bootstrap itself, or the launcher script's loader under qemu. */
async function startCommand(root: string, env: Record<string, string>, hostArch: string, extras?: LaunchExtras): Promise<Omit<Launch, "cleanup">> {
  const bootstrap = join(root, "bootstrap");
  const exe = executableLauncher(hostArch);
  if ((await elfArch(bootstrap)) !== undefined) {
    const launch = await exe.launch(bootstrap, env, extras);
    return { command: launch.command, args: launch.args, env, cwd: root };
  }
  // A script. Same arch: run it as Lambda does. Foreign arch: the kernel cannot exec the loader
  // it names, so start that loader under qemu with the script's own arguments.
  const app = join(root, appName);
  const appArch = await elfArch(app);
  if (appArch === undefined || appArch === hostArch) return { command: bootstrap, args: [], env, cwd: root };
  if (appArch === "other") throw new BinshipError("USAGE", `${app} is for a CPU binship does not run`);
  const loader = join(root, libDir, loaderNames[appArch]);
  const viaQemu = await exe.launch(loader, env, extras); // qemu + checks for the foreign arch
  const args = [viaQemu.args.at(-1)!, "--library-path", join(root, libDir), "--argv0", app, app];
  return { command: viaQemu.command, args, env, cwd: root };
}

/**
 * A function zip of the layer layout: its bootstrap runs $BINSHIP_OPT/bin/node (Lambda: /opt) on
 * app.cjs. Same arch: the script itself runs. Foreign arch: the kernel cannot exec the layer's
 * Node, so it starts under qemu, through the layer's own loader when it brings one.
 */
async function layerCommand(root: string, opt: string, env: Record<string, string>, hostArch: string, extras?: LaunchExtras): Promise<Omit<Launch, "cleanup">> {
  const node = join(opt, "bin", "node");
  const arch = await elfArch(node);
  if (arch === undefined) throw new BinshipError("USAGE", `the layer has no bin/node, so this function's bootstrap has no Node to run`, { hint: "Pass the node-<version>-<arch>-<sha>.zip that binship pack lambda --layout layer wrote." });
  if (arch === hostArch) return { command: join(root, "bootstrap"), args: [], env, cwd: root };
  if (arch === "other") throw new BinshipError("USAGE", `${node} is for a CPU binship does not run`);
  const exe = executableLauncher(hostArch);
  const loader = join(opt, libDir, loaderNames[arch]);
  const app = join(root, "app.cjs");
  if (await access(loader).then(() => true, () => false)) {
    const viaQemu = await exe.launch(loader, env, extras);
    return { command: viaQemu.command, args: [viaQemu.args.at(-1)!, "--library-path", join(opt, libDir), "--argv0", node, node, app], env, cwd: root };
  }
  const viaQemu = await exe.launch(node, env, extras);
  return { command: viaQemu.command, args: [...viaQemu.args, app], env, cwd: root };
}

const usesLayer = async (bootstrap: string) => (await readFile(bootstrap).catch(() => Buffer.alloc(0))).subarray(0, 4096).includes(layerRootVariable);

export function zipLauncher(hostArch: string = process.arch): Launcher {
  return {
    name: "lambda-zip",
    accepts: "a Lambda zip with bootstrap at its root (binship pack lambda)",
    matches: isZip,
    async launch(path, env, extras) {
      // Private (0700), removed on Ctrl-C/SIGTERM, and swept by the next run after a SIGKILL.
      const task = await makeScratch(tmpdir(), "task");
      let layer: Scratch | undefined;
      const cleanup = async () => {
        await task.dispose();
        await layer?.dispose();
      };
      const root = task.path;
      let opt: string | undefined;
      try {
        if (extras?.layer) {
          layer = await makeScratch(tmpdir(), "opt");
          opt = layer.path;
        }
        const entries = await extractZip(path, root);
        const bootstrap = entries.find((e) => e.name === "bootstrap");
        if (!bootstrap) {
          throw new BinshipError("USAGE", `${path} has no bootstrap at its root, so Lambda could not start it`, {
            hint: "Build the zip with binship pack lambda; an OS-only runtime executes $LAMBDA_TASK_ROOT/bootstrap.",
          });
        }
        if ((bootstrap.mode & 0o111) === 0) {
          throw new BinshipError("USAGE", `bootstrap in ${path} is not executable (mode ${bootstrap.mode.toString(8)}), Lambda would fail with Runtime.InvalidEntrypoint`, {
            hint: "Store it with mode 0755 (binship pack lambda does).",
          });
        }
        // Lambda's LD_LIBRARY_PATH ends with $LAMBDA_TASK_ROOT and $LAMBDA_TASK_ROOT/lib ("Defined
        // runtime environment variables", configuration-envvars.html): libraries a zip ships in lib/ load.
        // Layers come last, as /opt/lib does on Lambda.
        const libraryPath = [env.LD_LIBRARY_PATH, root, join(root, libDir), ...(opt ? [join(opt, libDir)] : [])].filter(Boolean).join(":");
        const taskEnv = { ...env, LAMBDA_TASK_ROOT: root, LD_LIBRARY_PATH: libraryPath };
        const layered = await usesLayer(join(root, "bootstrap"));
        if (layered && !opt) {
          throw new BinshipError("USAGE", `${path} runs on a Node runtime layer (its bootstrap starts /opt/bin/node)`, {
            hint: "Pass the layer too: binship invoke FUNCTION.zip --layer node-<version>-<arch>-<sha>.zip (both written by pack lambda --layout layer).",
          });
        }
        if (!opt) return { ...(await startCommand(root, taskEnv, hostArch, extras)), cleanup };
        // Lambda's unzipped limit counts the function and its layers together.
        const used = entries.reduce((n, e) => n + e.bytes, 0);
        await extractZip(extras!.layer!, opt, { limitBytes: lambdaLimits.unzipped - used });
        // Lambda mounts layers at /opt; the bootstrap reads this variable instead, so no root is needed.
        const layerEnv = { ...taskEnv, [layerRootVariable]: opt };
        return { ...(await (layered ? layerCommand(root, opt, layerEnv, hostArch, extras) : startCommand(root, layerEnv, hostArch, extras))), cleanup };
      } catch (err) {
        await cleanup();
        throw err;
      }
    },
  };
}

// Runs an artifact (bundle, executable, Lambda zip) against the local Runtime API emulator:
// pick a launcher, start the emulator, start the function with Lambda's environment, invoke
// each event on the same warm process, stop it.

import { spawn } from "node:child_process";
import { startEmulator, type EmulatorOptions, type InitOutcome, type InvokeOptions, type InvokeResult } from "./emulator/index.js";
import { BinshipError } from "../errors.js";
import { launchers as defaultLaunchers, pickLauncher, type Launcher } from "./launchers/index.js";

export { bundleLauncher, elfArch, executableLauncher, launchers, pickLauncher, type Launch, type Launcher } from "./launchers/index.js";

export interface InvokeArtifactOptions {
  artifact: string; // absolute path of the bundle, executable or zip
  events: unknown[]; // invoked in order on one process (JSON values or raw bytes)
  emulator?: Omit<EmulatorOptions, "taskRoot" | "onTimeout">; // function name, memory, timeout, limits
  invoke?: Omit<InvokeOptions, "timeoutMs">; // per-invocation extras (trace id, onChunk)
  env?: Record<string, string>; // extra variables for the function (PATH, AWS_LAMBDA_LOG_FORMAT, ...)
  output?: (chunk: Buffer, stream: "stdout" | "stderr") => void; // the function's logs (default: dropped)
  launchers?: Launcher[]; // the launcher table (default: every known kind)
  layer?: string; // a runtime layer zip for a function zip of the layer layout (absolute path)
}

export interface InvokeArtifactResult {
  launcher: string; // which launcher ran the artifact
  init: InitOutcome; // ready, init-error or exited before the first event
  results: InvokeResult[]; // one per event that was invoked
  exit?: { code: number | null; signal: NodeJS.Signals | null }; // set when the process ended on its own
}

export async function invokeArtifact(options: InvokeArtifactOptions): Promise<InvokeArtifactResult> {
  const launcher = await pickLauncher(options.artifact, options.launchers ?? defaultLaunchers);
  if (options.layer && launcher.name !== "lambda-zip") {
    throw new BinshipError("USAGE", `--layer goes with a Lambda function zip, and ${options.artifact} is run as ${launcher.name}`, { hint: "Pass the function zip of binship pack lambda --layout layer, or drop --layer." });
  }
  let stop = () => {};
  const emulator = await startEmulator({ ...options.emulator, onTimeout: () => stop() });
  try {
    const launch = await launcher.launch(options.artifact, { ...options.env, ...emulator.env }, { layer: options.layer });
    try {
      // The task root is where the artifact runs from, unless the launcher chose one (an unpacked zip).
      const env = launch.env.LAMBDA_TASK_ROOT === emulator.env.LAMBDA_TASK_ROOT ? { ...launch.env, LAMBDA_TASK_ROOT: launch.cwd } : launch.env;
      const child = spawn(launch.command, launch.args, { cwd: launch.cwd, env, stdio: ["ignore", "pipe", "pipe"] });
      let exit: InvokeArtifactResult["exit"];
      let stopping = false;
      const exited = new Promise<void>((resolve) => {
        child.once("exit", (code, signal) => {
          if (!stopping) exit = { code, signal };
          emulator.processExited(code, signal);
          resolve();
        });
        child.once("error", (err) => {
          exit = { code: null, signal: null };
          emulator.processExited(null, null);
          options.output?.(Buffer.from(`cannot start ${launch.command}: ${err.message}\n`), "stderr");
          resolve();
        });
      });
      // Lambda stops an environment whose invocation timed out; so does invoke.
      stop = () => void child.kill("SIGKILL");
      child.stdout.on("data", (c: Buffer) => options.output?.(c, "stdout"));
      child.stderr.on("data", (c: Buffer) => options.output?.(c, "stderr"));
      const init = await emulator.initialized();
      const results: InvokeResult[] = [];
      if (init.status === "ready") {
        for (const event of options.events) {
          const result = await emulator.invoke(event, options.invoke);
          results.push(result);
          if (result.status === "exited" || result.status === "timeout") break;
        }
      }
      // A failed init ends the process on its own (non-zero); give it a moment to say how.
      if (init.status === "init-error") await Promise.race([exited, new Promise((r) => setTimeout(r, 5_000).unref())]);
      stopping = exit === undefined;
      child.kill("SIGKILL");
      await exited;
      return { launcher: launcher.name, init, results, exit };
    } finally {
      await launch.cleanup();
    }
  } finally {
    await emulator.close();
  }
}

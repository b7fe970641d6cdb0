// What a launcher is: how `binship invoke` starts one kind of artifact against the emulator.

/** A process to start: the function runs as `command args` in `cwd` with `env`. */
export interface Launch {
  command: string;
  args: string[];
  env: Record<string, string>;
  cwd: string; // also LAMBDA_TASK_ROOT
  cleanup: () => Promise<void>; // removes whatever launch() created (an unpacked zip, ...)
}

export interface Launcher {
  name: string; // "bundle", "executable", ...
  accepts: string; // for messages: what this launcher runs, e.g. "a bundle (.cjs or .js)"
  matches(path: string): Promise<boolean>;
  /** `env` is the function's environment (Lambda's variables, the user's); binship's own tools are found through `extras.hostPath`. */
  launch(path: string, env: Record<string, string>, extras?: LaunchExtras): Promise<Launch>;
}

/** What else the function runs with. */
export interface LaunchExtras {
  layer?: string; // a runtime layer zip (pack lambda --layout layer), mounted where the bootstrap looks for /opt
  hostPath?: string; // the host's PATH, where binship finds qemu-user (default process.env.PATH); never the function's
}

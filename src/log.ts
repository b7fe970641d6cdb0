// Logs go to stderr; stdout is reserved for results. Colour only on a TTY without NO_COLOR,
// progress only on a TTY. Every line goes through util/redact.ts: no mode prints a secret.

import { redact } from "./util/redact.js";

export type LogLevel = "quiet" | "normal" | "verbose";

export interface Logger {
  level: LogLevel;
  info(message: string): void; // normal and verbose
  warn(message: string): void; // always, unless quiet
  debug(message: string): void; // verbose only
  /** Transient progress (downloads, packing); a no-op when stderr is not a TTY. */
  progress(message: string): void;
  /** Clears a progress line, if one is shown. */
  done(): void;
}

export interface LoggerOptions {
  level?: LogLevel;
  stream?: NodeJS.WriteStream;
  env?: NodeJS.ProcessEnv;
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const stream = options.stream ?? process.stderr;
  const env = options.env ?? process.env;
  const tty = Boolean(stream.isTTY);
  const color = tty && env.NO_COLOR === undefined && env.TERM !== "dumb";
  const paint = (code: string, s: string) => (color ? `\x1b[${code}m${s}\x1b[0m` : s);
  let progressShown = false;
  const clear = () => {
    if (progressShown) stream.write("\r\x1b[K");
    progressShown = false;
  };
  const logger: Logger = {
    level: options.level ?? "normal",
    info(message) {
      if (logger.level === "quiet") return;
      clear();
      stream.write(`${redact(message)}\n`);
    },
    warn(message) {
      if (logger.level === "quiet") return;
      clear();
      stream.write(`${paint("33", "warning:")} ${redact(message)}\n`);
    },
    debug(message) {
      if (logger.level !== "verbose") return;
      clear();
      stream.write(`${paint("2", redact(message))}\n`);
    },
    progress(message) {
      if (!tty || logger.level === "quiet") return;
      stream.write(`\r\x1b[K${paint("2", redact(message))}`);
      progressShown = true;
    },
    done: clear,
  };
  return logger;
}

/** A logger that drops everything: the default for library calls. */
export const silentLogger: Logger = {
  level: "quiet",
  info() {},
  warn() {},
  debug() {},
  progress() {},
  done() {},
};

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { createLogger, formatBytes } from "../../src/log.js";

/** A stream that records what is written, posing as a TTY or not. */
function sink(isTTY: boolean): { stream: NodeJS.WriteStream; text: () => string } {
  let text = "";
  const stream = new Writable({
    write(chunk, _enc, done) {
      text += String(chunk);
      done();
    },
  }) as unknown as NodeJS.WriteStream;
  (stream as { isTTY?: boolean }).isTTY = isTTY;
  return { stream, text: () => text };
}

describe("createLogger", () => {
  it("colours warnings on a TTY", () => {
    const out = sink(true);
    createLogger({ stream: out.stream, env: {} }).warn("careful");
    expect(out.text()).toBe("\x1b[33mwarning:\x1b[0m careful\n");
  });

  it("never colours with NO_COLOR, with TERM=dumb, or off a TTY", () => {
    for (const [isTTY, env] of [[true, { NO_COLOR: "1" }], [true, { TERM: "dumb" }], [false, {}]] as const) {
      const out = sink(isTTY);
      createLogger({ stream: out.stream, env }).warn("careful");
      expect(out.text()).toBe("warning: careful\n");
    }
  });

  it("shows progress only on a TTY, and clears it before the next line", () => {
    const tty = sink(true);
    const log = createLogger({ stream: tty.stream, env: { NO_COLOR: "1" } });
    log.progress("downloading 10%");
    log.info("done");
    expect(tty.text()).toBe("\r\x1b[Kdownloading 10%\r\x1b[Kdone\n");
    const pipe = sink(false);
    const quietPipe = createLogger({ stream: pipe.stream, env: {} });
    quietPipe.progress("downloading 10%");
    quietPipe.info("done");
    expect(pipe.text()).toBe("done\n");
  });

  it("honours the level: quiet drops info and warnings, debug needs verbose", () => {
    const out = sink(false);
    const quiet = createLogger({ stream: out.stream, env: {}, level: "quiet" });
    quiet.info("i");
    quiet.warn("w");
    quiet.debug("d");
    const normal = createLogger({ stream: out.stream, env: {} });
    normal.debug("hidden");
    const verbose = createLogger({ stream: out.stream, env: {}, level: "verbose" });
    verbose.debug("shown");
    expect(out.text()).toBe("shown\n");
  });
});

describe("formatBytes", () => {
  it.each([
    [512, "512 B"],
    [2048, "2.0 KiB"],
    [5 * 1024 * 1024 + 1, "5.0 MiB"],
  ])("%d -> %s", (n, s) => expect(formatBytes(n)).toBe(s));
});

// Node names files by strings, and turns the bytes of the current directory and of argv into
// strings as UTF-8: a byte that is not UTF-8 becomes U+FFFD, and the path made from that string
// names no file. So a project under `my app \xff` would fail later as "entry module not found"
// although the entry is there. Nothing binship, esbuild or pkg does can reach such a path, so
// the CLI checks the real bytes first (Linux: /proc/self/cwd and /proc/self/cmdline) and says
// which byte it is and what to rename.

import { readFileSync, readlinkSync } from "node:fs";
import { BinshipError } from "../errors.js";

/** The first byte sequence of `bytes` that is not UTF-8, as its offset, or -1. */
function firstInvalid(bytes: Buffer): number {
  const text = bytes.toString("utf8");
  if (Buffer.from(text, "utf8").equals(bytes)) return -1;
  // Decode prefix by prefix: the first one whose round trip differs ends at the bad byte.
  for (let i = 0; i < bytes.length; i++) {
    const len = bytes[i]! < 0x80 ? 1 : bytes[i]! < 0xe0 ? 2 : bytes[i]! < 0xf0 ? 3 : 4;
    const piece = bytes.subarray(i, i + len);
    if (bytes[i]! >= 0x80 && !Buffer.from(piece.toString("utf8"), "utf8").equals(piece)) return i;
    i += len - 1;
  }
  return -1;
}

/** The path with every byte that is not printable ASCII or valid UTF-8 written as \xNN, the way bash's $'...' takes it. */
export function shownBytes(bytes: Buffer): string {
  let out = "";
  for (let i = 0; i < bytes.length; ) {
    const at = firstInvalid(bytes.subarray(i));
    if (at === -1) return out + bytes.subarray(i).toString("utf8");
    out += `${bytes.subarray(i, i + at).toString("utf8")}\\x${bytes[i + at]!.toString(16).padStart(2, "0")}`;
    i += at + 1;
  }
  return out;
}

function failure(what: string, bytes: Buffer): BinshipError {
  const at = firstInvalid(bytes);
  const shown = shownBytes(bytes);
  // The path component holding the byte is what to rename.
  const start = bytes.lastIndexOf(0x2f, at) + 1;
  const end = bytes.indexOf(0x2f, at);
  const component = shownBytes(bytes.subarray(start, end === -1 ? bytes.length : end));
  return new BinshipError("USAGE", `${what} ${shown} has a byte that is not UTF-8 (0x${bytes[at]!.toString(16).padStart(2, "0")} in "${component}"): Node reads such a path as another string, which names no file, so nothing under it can be found`, {
    hint: `Rename it to a UTF-8 name, e.g. mv $'${component.replace(/'/g, "\\'")}' '${component.replace(/\\x[0-9a-f]{2}/g, "").trim() || "renamed"}' (convmv -f latin1 -t utf8 renames a whole tree), or work from a UTF-8 path.`,
  });
}

/** Throws a usage error (exit 2) when the current directory or an argument is not UTF-8. */
export function checkUtf8Paths(): void {
  let cwd: Buffer | undefined;
  try {
    cwd = readlinkSync("/proc/self/cwd", { encoding: "buffer" });
  } catch {
    return; // no /proc: nothing to compare with
  }
  if (firstInvalid(cwd) !== -1) throw failure("the current directory", cwd);
  let args: Buffer[];
  try {
    const raw = readFileSync("/proc/self/cmdline");
    args = [];
    for (let i = 0; i < raw.length; ) {
      const end = raw.indexOf(0, i);
      args.push(raw.subarray(i, end === -1 ? raw.length : end));
      i = end === -1 ? raw.length : end + 1;
    }
  } catch {
    return;
  }
  // node, its own options, binship.js, then the user's arguments.
  for (const arg of args.slice(2 + process.execArgv.length)) if (firstInvalid(arg) !== -1) throw failure("the argument", arg);
}

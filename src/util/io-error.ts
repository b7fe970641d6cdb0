// File system failures in words a user can act on: which path, what went wrong (EACCES,
// EROFS, ENOSPC, ...), and what to do. Used where binship writes its outputs and, as a last
// resort, by the CLI for a file system error no stage turned into a BinshipError. A full disk
// goes to disk-full.ts.

import { BinshipError } from "../errors.js";
import { diskFullError, diskFullFailure } from "./disk-full.js";

const problems: Record<string, string> = {
  EEXIST: "a part of its directory path is a file", // mkdir -p over a file
  ENOTDIR: "a part of its directory path is a file",
  EISDIR: "it is a directory",
  EACCES: "permission denied",
  EPERM: "permission denied",
  EROFS: "the file system is read-only",
  ENOSPC: "the disk is full",
  EDQUOT: "the disk quota is exhausted",
};

/** True for an error the file system raised about a path (not a bug in binship). */
export function isFileSystemError(err: unknown): err is NodeJS.ErrnoException & { path: string } {
  const e = err as NodeJS.ErrnoException | undefined;
  return typeof e?.code === "string" && e.code in problems && typeof e.path === "string";
}

/** `cannot write PATH: permission denied (EACCES)`, exit 1, with a hint. */
export function writeFailure(path: string, err: unknown, hint = "Choose an output path in a writable directory.", verb = "write"): BinshipError {
  if (diskFullError(err)) return diskFullFailure(path, err);
  const code = (err as NodeJS.ErrnoException).code ?? "";
  return new BinshipError("IO_FAILED", `cannot ${verb} ${path}: ${problems[code] ?? (err as Error).message}${code ? ` (${code})` : ""}`, { cause: err, hint });
}

/** A file system error no stage put into words: the path, the reason, and the system call. */
export function fileSystemFailure(err: NodeJS.ErrnoException & { path: string; dest?: string }): BinshipError {
  // copyFile and rename name their source first; a full disk is the destination's.
  if (diskFullError(err)) return diskFullFailure(err.dest ?? err.path, err);
  const verb = err.syscall === "open" || err.syscall === "scandir" || err.syscall === "stat" ? "access" : err.syscall === "mkdir" ? "create" : "write";
  return writeFailure(err.path, err, "Check the permissions of that path, or choose paths you can write (-o, TMPDIR, BINSHIP_CACHE_DIR).", verb);
}

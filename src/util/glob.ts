// The small glob binship's `assets` take: `*` and `?` within one path segment, `**` for any
// number of segments, `{a,b}` alternatives; a pattern without any of them names a file, or a
// directory and everything under it. Matching walks the file system from the pattern's literal
// prefix only, never the whole project, and lists files (not directories, not symlinks to
// directories) in sorted order, so the same tree always gives the same list. Node's own fs.glob
// is still experimental on Node 22, which binship supports.

import { readdirSync, statSync, type Dirent } from "node:fs";
import { join, sep } from "node:path";

const special = /[*?{]/;

/** Whether a pattern has any glob syntax (otherwise it is a plain path). */
export const isGlob = (pattern: string): boolean => special.test(pattern);

/** A regular expression for one path pattern (absolute, '/'-separated). */
export function globRegExp(pattern: string): RegExp {
  let re = "";
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === "*" && pattern[i + 1] === "*") {
      // "**/" matches zero or more whole segments; a trailing "**" matches everything below.
      const slash = pattern[i + 2] === "/";
      re += slash ? "(?:[^/]+/)*" : ".*";
      i += slash ? 2 : 1;
    } else if (c === "*") re += "[^/]*";
    else if (c === "?") re += "[^/]";
    else if (c === "{") {
      const end = pattern.indexOf("}", i);
      if (end < 0) re += "\\{";
      else {
        re += `(?:${pattern
          .slice(i + 1, end)
          .split(",")
          .map((alt) => globRegExp(alt).source.slice(1, -1))
          .join("|")})`;
        i = end;
      }
    } else re += c.replace(/[.+^$()|[\]\\]/g, "\\$&");
  }
  return new RegExp(`^${re}$`);
}

/** The directory a pattern's matches all lie under: its segments before the first one with glob syntax. */
export function literalBase(pattern: string): string {
  const parts = pattern.split("/");
  const at = parts.findIndex((p) => special.test(p));
  return (at < 0 ? parts : parts.slice(0, at)).join("/") || "/";
}

// By code unit, as the artifacts sort names (the walk's per-directory order puts "a/b" before "a.html").
const byPath = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** Every file below `dir`, sorted by path; directories are entered, other kinds skipped. */
function walk(dir: string, out: string[], skip: (path: string) => boolean): void {
  let entries: Dirent[];
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return;
  }
  for (const e of entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    const path = join(dir, e.name);
    if (skip(path)) continue;
    if (e.isDirectory()) walk(path, out, skip);
    else if (e.isFile()) out.push(path);
    else if (e.isSymbolicLink()) {
      // A link to a file is its file (as COPY and zip see it); a link to a directory is not followed (no cycles).
      try {
        if (statSync(path).isFile()) out.push(path);
      } catch {
        // a dangling link: nothing to ship
      }
    }
  }
}

/**
 * The files an absolute pattern names, sorted. A plain path is the file, or every file under the
 * directory. `skip` prunes directories (and files) by absolute path.
 */
export function globFiles(pattern: string, skip: (path: string) => boolean = () => false): string[] {
  const posix = sep === "/" ? pattern : pattern.split(sep).join("/");
  const out: string[] = [];
  if (!isGlob(posix)) {
    try {
      const st = statSync(posix);
      if (st.isFile()) return [posix];
      if (st.isDirectory()) walk(posix, out, skip);
    } catch {
      return [];
    }
    return out.sort(byPath);
  }
  walk(literalBase(posix), out, skip);
  const re = globRegExp(posix);
  return out.filter((p) => re.test(p)).sort(byPath);
}

// Which Debian package a shipped library came from, when this machine's dpkg database knows the
// file: dpkg keeps the md5 of every file it installed (/var/lib/dpkg/info/<pkg>.md5sums, one
// "<md5>  <path>" line per file) and each package's version in /var/lib/dpkg/status. Matching
// by content rather than by name finds the package for a library read back from a zip too.

import { createHash } from "node:crypto";
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";

export interface DebianPackage {
  name: string; // "libc6-arm64-cross"
  version: string; // "2.41-12"
  arch: string; // dpkg architecture: "all", "amd64", "arm64"
  distro?: string; // purl qualifier, e.g. "debian-11", when known
}

export const md5 = (data: Uint8Array): string => createHash("md5").update(data).digest("hex");

async function statusTable(dpkgDir: string): Promise<Map<string, DebianPackage>> {
  const table = new Map<string, DebianPackage>();
  const text = await readFile(join(dpkgDir, "status"), "utf8").catch(() => "");
  for (const stanza of text.split(/\n\n+/)) {
    const field = (name: string) => new RegExp(`^${name}: (.+)$`, "m").exec(stanza)?.[1]?.trim();
    const name = field("Package");
    const version = field("Version");
    const arch = field("Architecture") ?? "all";
    if (name && version && /^Status: .* installed$/m.test(stanza)) table.set(arch === "all" ? name : `${name}:${arch}`, { name, version, arch });
  }
  return table;
}

/** md5 -> the installed package that shipped a file with that content. Empty off Debian. */
export async function debianPackagesByMd5(wanted: ReadonlySet<string>, dpkgDir = "/var/lib/dpkg"): Promise<Map<string, DebianPackage>> {
  const found = new Map<string, DebianPackage>();
  if (wanted.size === 0) return found;
  const info = join(dpkgDir, "info");
  const names = (await readdir(info).catch(() => [] as string[])).filter((n) => n.endsWith(".md5sums")).sort();
  const owners = new Map<string, string>(); // md5 -> "pkg" or "pkg:arch"
  for (const name of names) {
    const text = await readFile(join(info, name), "utf8").catch(() => "");
    for (const line of text.split("\n")) {
      const sum = line.slice(0, 32);
      if (wanted.has(sum) && !owners.has(sum)) owners.set(sum, name.slice(0, -".md5sums".length));
    }
    if (owners.size === wanted.size) break;
  }
  if (owners.size === 0) return found;
  const status = await statusTable(dpkgDir);
  for (const [sum, owner] of owners) {
    const pkg = status.get(owner) ?? [...status.values()].find((p) => p.name === owner.split(":")[0]);
    if (pkg) found.set(sum, pkg);
  }
  return found;
}

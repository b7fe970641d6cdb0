// Running a Linux binary built for the other CPU: qemu-user and Debian's cross C library. Used by
// `binship invoke` (a foreign executable or bootstrap) and by the pack step that runs the target's
// own Node (the node layout's compile cache).

import { constants } from "node:fs";
import { access } from "node:fs/promises";
import { delimiter, join } from "node:path";

/** qemu-user binary and the library root (Debian's cross libc) for each foreign arch. */
export const emulation: Record<"x64" | "arm64", { qemu: string; libraryRoot: string; packages: string }> = {
  arm64: { qemu: "qemu-aarch64", libraryRoot: "/usr/aarch64-linux-gnu", packages: "qemu-user libc6-arm64-cross libstdc++6-arm64-cross" },
  x64: { qemu: "qemu-x86_64", libraryRoot: "/usr/x86_64-linux-gnu", packages: "qemu-user libc6-amd64-cross libstdc++6-amd64-cross" },
};

export async function findOnPath(name: string, pathVar: string | undefined): Promise<string | undefined> {
  for (const dir of (pathVar ?? "").split(delimiter).filter(Boolean)) {
    const candidate = join(dir, name);
    if (await access(candidate, constants.X_OK).then(() => true, () => false)) return candidate;
  }
  return undefined;
}

/** How to run `binary` (built for `arch`) here: directly, under qemu-user, or why not. */
export async function commandFor(binary: string, arch: "x64" | "arm64", hostPath: string | undefined, hostArch: string = process.arch): Promise<{ command: string; args: string[] } | { missing: string; packages: string }> {
  if (arch === hostArch) return { command: binary, args: [] };
  const how = emulation[arch];
  const qemu = await findOnPath(how.qemu, hostPath);
  if (!qemu) return { missing: how.qemu, packages: how.packages };
  if (!(await access(how.libraryRoot).then(() => true, () => false))) return { missing: how.libraryRoot, packages: how.packages };
  return { command: qemu, args: ["-L", how.libraryRoot, binary] };
}

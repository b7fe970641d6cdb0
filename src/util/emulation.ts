// User-mode qemu for the other CPU: how binship runs an arm64 Node on an x64 host (and the
// reverse), both to run a foreign executable (invoke) and to let a target's own Node generate its
// V8 code cache at build time (executable/sea-blob.ts).

import { accessSync, constants, existsSync } from "node:fs";
import { delimiter, join } from "node:path";

export type EmulatedArch = "x64" | "arm64";

/** qemu-user binary and the library root (Debian's cross libc) for each foreign arch. */
export const emulation: Record<EmulatedArch, { qemu: string; libraryRoot: string; packages: string }> = {
  arm64: { qemu: "qemu-aarch64", libraryRoot: "/usr/aarch64-linux-gnu", packages: "qemu-user libc6-arm64-cross libstdc++6-arm64-cross" },
  x64: { qemu: "qemu-x86_64", libraryRoot: "/usr/x86_64-linux-gnu", packages: "qemu-user libc6-amd64-cross libstdc++6-amd64-cross" },
};

/** The first executable `name` on `pathVar`. */
export function findOnPathSync(name: string, pathVar: string | undefined): string | undefined {
  for (const dir of (pathVar ?? "").split(delimiter).filter(Boolean)) {
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** The command prefix that runs an `arch` binary on this host (qemu-user with the cross libc), or undefined when it is missing. */
export function emulatorFor(arch: EmulatedArch, pathVar: string | undefined): string[] | undefined {
  const how = emulation[arch];
  const qemu = findOnPathSync(how.qemu, pathVar);
  if (!qemu || !existsSync(how.libraryRoot)) return undefined;
  return [qemu, "-L", how.libraryRoot];
}

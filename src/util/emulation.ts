// Running a Linux binary built for the other CPU: user-mode qemu and Debian's cross C library.
// One lookup serves three uses: `binship invoke` (a foreign executable or bootstrap), the
// executable's V8 code cache (executable/sea-blob.ts: the target's Node compiles the bundle) and
// the node layout's compile cache (executable/compile-cache.ts). qemu is looked up on the host's
// PATH, never a function's.

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

/** The emulator for `arch` on this host: its command prefix, or what is missing and the packages that bring it. */
export function findEmulator(arch: EmulatedArch, pathVar: string | undefined): { prefix: string[] } | { missing: string; packages: string } {
  const how = emulation[arch];
  const qemu = findOnPathSync(how.qemu, pathVar);
  if (!qemu) return { missing: how.qemu, packages: how.packages };
  if (!existsSync(how.libraryRoot)) return { missing: how.libraryRoot, packages: how.packages };
  return { prefix: [qemu, "-L", how.libraryRoot] };
}

/** The command prefix that runs an `arch` binary on this host (qemu-user with the cross libc), or undefined when it is missing. */
export function emulatorFor(arch: EmulatedArch, pathVar: string | undefined): string[] | undefined {
  const found = findEmulator(arch, pathVar);
  return "prefix" in found ? found.prefix : undefined;
}

/** How to run `binary` (built for `arch`) here: directly, under qemu-user, or what is missing. */
export async function commandFor(binary: string, arch: EmulatedArch, hostPath: string | undefined, hostArch: string = process.arch): Promise<{ command: string; args: string[] } | { missing: string; packages: string }> {
  if (arch === hostArch) return { command: binary, args: [] };
  const found = findEmulator(arch, hostPath);
  if (!("prefix" in found)) return found;
  const [command, ...args] = found.prefix;
  return { command: command!, args: [...args, binary] };
}

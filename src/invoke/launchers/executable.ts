// A Linux executable runs directly, or under qemu-user when it is built for the other CPU.

import { stat } from "node:fs/promises";
import { dirname } from "node:path";
import { BinshipError, isBinshipError } from "../../errors.js";
import { elfArchOf } from "../../inspect/index.js";
import { emulation, findEmulator } from "../../util/emulation.js";
import type { Launcher } from "./types.js";

const noCleanup = async () => {};

export type ElfArch = "x64" | "arm64" | "other";

/** The CPU an ELF file is built for (its headers, read by src/inspect), or undefined when the file is not ELF. */
export async function elfArch(path: string): Promise<ElfArch | undefined> {
  const st = await stat(path).catch(() => undefined);
  if (!st?.isFile()) return undefined;
  return elfArchOf(path).catch((err: unknown) => {
    if (isBinshipError(err) && err.code === "NOT_ELF") return undefined;
    throw err;
  });
}

/** The host's CPU in the same names; `hostArch` is injectable for tests. */
export function executableLauncher(hostArch: string = process.arch): Launcher {
  return {
    name: "executable",
    accepts: "a Linux executable (ELF, x86_64 or arm64; a foreign arch runs under qemu-user)",
    async matches(path) {
      return (await elfArch(path)) !== undefined;
    },
    async launch(path, env, extras) {
      const arch = await elfArch(path);
      if (arch === "other") {
        throw new BinshipError("USAGE", `${path} is an ELF file for a CPU binship does not run (only x86_64 and arm64)`, {
          hint: "Build the executable with --arch arm64 or --arch x64.",
        });
      }
      const base = { env, cwd: dirname(path), cleanup: noCleanup };
      if (arch === hostArch) return { ...base, command: path, args: [] };
      const how = emulation[arch!];
      const found = findEmulator(arch!, extras?.hostPath ?? process.env.PATH);
      if ("missing" in found && found.missing === how.qemu) {
        throw new BinshipError("TOOL_MISSING", `${path} is a ${arch} executable and this machine is ${hostArch}; running it needs ${how.qemu}, which is not on PATH`, {
          hint: `Install user-mode qemu and the ${arch} libraries (Debian/Ubuntu: apt-get install ${how.packages}), or build for ${hostArch}.`,
        });
      }
      if ("missing" in found) {
        throw new BinshipError("TOOL_MISSING", `${path} is a ${arch} executable; qemu needs the ${arch} C library under ${how.libraryRoot}, which is missing`, {
          hint: `Debian/Ubuntu: apt-get install ${how.packages}.`,
        });
      }
      return { ...base, command: found.prefix[0]!, args: [...found.prefix.slice(1), path] };
    },
  };
}

// What the command tells the image about its source: the OCI labels org.opencontainers.image.source
// and .revision (image-spec annotations.md) from the project's git checkout, and the creation
// time from SOURCE_DATE_EPOCH (reproducible-builds.org), 1970-01-01 without it, as ko does.

import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { BinshipError } from "../../../errors.js";

const run = promisify(execFile);

async function git(dir: string, args: string[]): Promise<string | undefined> {
  try {
    return (await run("git", ["-C", dir, ...args], { timeout: 10_000 })).stdout.trim() || undefined;
  } catch {
    return undefined; // not a checkout, or no git: the label is left out
  }
}

/** A remote URL without any user or token in it (https://user:token@host/... -> https://host/...). */
export function publicUrl(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^@/]*@/i, "$1");
}

export async function gitLabels(dir: string): Promise<Record<string, string>> {
  const [revision, remote] = await Promise.all([git(dir, ["rev-parse", "HEAD"]), git(dir, ["config", "--get", "remote.origin.url"])]);
  return {
    ...(remote ? { "org.opencontainers.image.source": publicUrl(remote) } : {}),
    ...(revision ? { "org.opencontainers.image.revision": revision } : {}),
  };
}

export function createdFrom(sourceDateEpoch: string | undefined): Date {
  if (sourceDateEpoch === undefined || sourceDateEpoch === "") return new Date(0);
  if (!/^\d+$/.test(sourceDateEpoch)) {
    throw new BinshipError("CONFIG_INVALID", `SOURCE_DATE_EPOCH must be a whole number of seconds since 1970, got "${sourceDateEpoch}"`, {
      hint: "Set it to e.g. $(git log -1 --format=%ct), or unset it.",
    });
  }
  return new Date(Number(sourceDateEpoch) * 1000);
}

// Any binship artifact, opened for auditing: an executable, a Lambda zip (its executable read
// from inside, its lib/ hashed), a container recipe directory or an OCI image layout (container.ts).
// The SBOM and the size report are made from what this finds, so `build --sbom` and
// `inspect --sbom` of the same file agree.

import { createHash } from "node:crypto";
import { open, readdir, readFile, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { BinshipError } from "../errors.js";
import { isElfMagic } from "./elf.js";
import { inspectOciLayout, inspectRecipeDir, type ContainerContents } from "./container.js";
import { inspectFile, type ElfReport } from "./index.js";
import { makeScratch } from "../util/stale.js";

export type ArtifactKind = "executable" | "lambda-zip" | "container" | "oci-layout";

export interface ArtifactExecutable {
  name: string; // "app-linux-arm64", "bootstrap", "app", "app-amd64"
  report: ElfReport;
}

export interface ZipEntrySize {
  name: string;
  bytes: number;
  compressedBytes: number;
}

export interface ArtifactLibrary {
  file: string; // "lib/libc.so.6"
  sha256: string;
  md5: string; // to find the Debian package that shipped it
}

export interface ArtifactInspection {
  kind: ArtifactKind;
  path: string;
  bytes?: number; // of the file (executable, zip)
  sha256?: string;
  executables: ArtifactExecutable[];
  zipEntries?: ZipEntrySize[];
  libraries: ArtifactLibrary[];
  assets?: ArtifactAsset[]; // runtime files shipped with it: a zip's entries that are not binship's own, a recipe's files/, or (build) the copies beside the executable
  // A container's: its layout and, for the node layout, the Node binaries, the bundle and the compile cache; an image's layers per platform.
  layout?: ContainerContents["layout"];
  nodes?: ContainerContents["nodes"];
  bundle?: ContainerContents["bundle"];
  compileCache?: ContainerContents["compileCache"];
  platforms?: ContainerContents["platforms"];
}

/** One runtime file ("assets") and its size. */
export interface ArtifactAsset {
  name: string; // its path beside the app, '/'-separated
  bytes: number;
}

/** What binship itself puts in a function zip; every other entry is a runtime file. */
const ownZipEntry = (name: string) => name === "bootstrap" || name.startsWith("lib/") || name === "app.cjs" || name === "app.mjs";

/** Reads a zip's entries (invoke/unzip.ts readZip); passed in, since that reader lives in a higher layer. */
export type ZipReader = (buf: Buffer, path: string) => { name: string; directory: boolean; bytes: number; compressedBytes: number; data: () => Buffer }[];

const hash = (alg: string, data: Uint8Array) => createHash(alg).update(data).digest("hex");

async function inspectZip(path: string, buf: Buffer, readZip: ZipReader): Promise<ArtifactInspection> {
  const entries = readZip(buf, path).filter((e) => !e.directory);
  const scratch = await makeScratch(tmpdir(), "inspect");
  try {
    const executables: ArtifactExecutable[] = [];
    const libraries: ArtifactLibrary[] = [];
    for (const entry of entries) {
      const data = entry.data();
      if (entry.name.startsWith("lib/")) {
        libraries.push({ file: entry.name, sha256: hash("sha256", data), md5: hash("md5", data) });
      } else if (isElfMagic(data.subarray(0, 4))) {
        const file = join(scratch.path, basename(entry.name));
        await writeFile(file, data);
        executables.push({ name: entry.name, report: { ...(await inspectFile(file)), path: `${path}!${entry.name}` } });
      }
    }
    const zipEntries = entries.map((e) => ({ name: e.name, bytes: e.bytes, compressedBytes: e.compressedBytes }));
    const exeNames = new Set(executables.map((e) => e.name));
    const assets = zipEntries.filter((e) => !ownZipEntry(e.name) && !exeNames.has(e.name)).map((e) => ({ name: e.name, bytes: e.bytes }));
    return { kind: "lambda-zip", path, bytes: buf.length, sha256: hash("sha256", buf), executables, zipEntries, libraries, assets };
  } finally {
    await scratch.dispose();
  }
}

const exists = (path: string) =>
  stat(path).then(
    () => true,
    () => false,
  );

async function inspectContainer(path: string, kind: "container" | "oci-layout"): Promise<ArtifactInspection> {
  const { executables, ...rest } = kind === "oci-layout" ? await inspectOciLayout(path) : await inspectRecipeDir(path);
  const assets = kind === "container" ? await filesUnder(join(path, "files")) : [];
  return { kind, path, executables, libraries: [], ...rest, ...(assets.length ? { assets } : {}) };
}

/** Every file under `dir` (a recipe's files/: the runtime files, /app in the image), sorted; none when it is absent. */
async function filesUnder(dir: string, prefix = ""): Promise<ArtifactAsset[]> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  const out: ArtifactAsset[] = [];
  for (const e of entries) {
    const name = `${prefix}${e.name}`;
    if (e.isDirectory()) out.push(...(await filesUnder(join(dir, e.name), `${name}/`)));
    else if (e.isFile()) out.push({ name, bytes: (await stat(join(dir, e.name))).size });
  }
  return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

export async function inspectArtifact(path: string, readZip: ZipReader): Promise<ArtifactInspection> {
  const st = await stat(path).catch(() => undefined);
  if (!st) throw new BinshipError("USAGE", `cannot read ${path}: no such file or directory`, { hint: "Pass an executable, a Lambda zip or a container directory made by binship." });
  if (st.isDirectory()) {
    if (await exists(join(path, "oci-layout"))) return inspectContainer(path, "oci-layout");
    if (!(await exists(join(path, "Dockerfile")))) throw new BinshipError("USAGE", `${path} is a directory without a Dockerfile or an oci-layout file`, { hint: "Pass a container directory made by binship pack container (e.g. dist/container), or its --oci-layout directory." });
    return inspectContainer(path, "container");
  }
  const head = Buffer.alloc(4);
  const fh = await open(path, "r");
  try {
    await fh.read(head, 0, 4, 0);
  } finally {
    await fh.close();
  }
  if (head.readUInt32LE(0) === 0x04034b50) return inspectZip(path, await readFile(path), readZip);
  const report = await inspectFile(path);
  return { kind: "executable", path, bytes: report.bytes, sha256: report.sha256, executables: [{ name: basename(path), report }], libraries: [] };
}

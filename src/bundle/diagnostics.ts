// esbuild's messages -> binship errors: one BinshipError per failed build, holding every
// message as a diagnostic, with a code and a hint chosen from what went wrong.

import type { Message } from "esbuild";
import { resolve } from "node:path";
import { shownPath } from "../util/shown-path.js";
import { BinshipError, type Diagnostic } from "../errors.js";
import { nativeAddonHint, nativeAddonMarker } from "./native.js";

/** `workDir`: esbuild's working directory, which its locations are relative to. */
export function toDiagnostic(m: Message, workDir: string): Diagnostic {
  return {
    text: m.text.replace(`${nativeAddonMarker} `, ""),
    file: m.location ? resolve(workDir, m.location.file) : undefined,
    line: m.location?.line,
    column: m.location?.column,
    lineText: m.location?.lineText,
    suggestion: m.location?.suggestion || undefined,
  };
}

export function bundleFailure(errors: Message[], workDir: string, cwd: string): BinshipError {
  // esbuild checks --define before reading any file; those are flag errors (exit 2).
  const badDefine = errors.find((m) => m.text.startsWith("Invalid define") || m.location?.file === "(define name)");
  if (badDefine) {
    const what = badDefine.location ? `the name "${badDefine.location.lineText}" is not an identifier or a.b.c` : badDefine.text.replace(/^Invalid define value \(must be an entity name or JS literal\): (.*)$/, 'the value "$1" is neither a JavaScript literal nor a name');
    return new BinshipError("CONFIG_INVALID", `invalid define: ${what}`, {
      hint: `Defines are KEY=VALUE where VALUE is JavaScript: quote strings, e.g. --define 'process.env.STAGE="prod"'.`,
    });
  }
  const diagnostics = errors.map((m) => toDiagnostic(m, workDir));
  const first = diagnostics[0];
  const where = first?.file ? ` in ${shownPath(cwd, first.file)}:${first.line}:${(first.column ?? 0) + 1}` : "";
  if (errors.some((m) => m.text.startsWith(nativeAddonMarker))) {
    return new BinshipError("NATIVE_ADDON", `the service imports a native addon${where}`, { diagnostics, hint: nativeAddonHint });
  }
  const unresolved = errors.some((m) => m.text.startsWith("Could not resolve"));
  return new BinshipError("BUNDLE_FAILED", `bundling failed with ${errors.length} error${errors.length === 1 ? "" : "s"}${where}`, {
    diagnostics,
    hint: unresolved ? "Install the missing package (npm install …), fix the import path, or mark it --external." : undefined,
  });
}

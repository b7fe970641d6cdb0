// Dotted numeric versions ("2.28", "3.4.21", "24.21.0") compared part by part, so
// "2.34" > "2.4" and "3.4.30" > "3.4.9". A missing part counts as 0.

export function compareVersions(a: string, b: string): number {
  const x = a.split(".").map(Number);
  const y = b.split(".").map(Number);
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    const d = (x[i] ?? 0) - (y[i] ?? 0);
    if (d !== 0) return d < 0 ? -1 : 1;
  }
  return 0;
}

/** The highest of `versions`, or undefined for an empty list. */
export function highestVersion(versions: Iterable<string>): string | undefined {
  let best: string | undefined;
  for (const v of versions) if (best === undefined || compareVersions(v, best) > 0) best = v;
  return best;
}

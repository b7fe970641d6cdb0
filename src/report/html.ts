// The size report: one self-contained HTML page (inline CSS and script, no network, no
// dependency) with a squarified treemap per section. Each box is a positioned <div> carrying
// its name and exact byte count; hovering shows the numbers in the status line, clicking pins
// them in the detail panel.

import type { SizeSection } from "./tree.js";

export interface ReportPage {
  title: string; // the artifact's name
  sections: SizeSection[];
}

// Runs in the browser. Squarified layout (Bruls, Huizing, van Wijk 2000): rows are filled
// while the worst aspect ratio improves.
const script = String.raw`
"use strict";
const data = JSON.parse(document.getElementById("report-data").textContent);
const fmt = (n) => n < 1024 ? n + " B" : n < 1048576 ? (n / 1024).toFixed(1) + " KiB" : (n / 1048576).toFixed(1) + " MiB";
const status = document.getElementById("status");
const detail = document.getElementById("detail");
function worst(row, side, scale) {
  let sum = 0, max = 0, min = Infinity;
  for (const n of row) { const a = n.bytes * scale; sum += a; max = Math.max(max, a); min = Math.min(min, a); }
  return Math.max((side * side * max) / (sum * sum), (sum * sum) / (side * side * min));
}
function layout(nodes, x, y, w, h) {
  const total = nodes.reduce((s, n) => s + n.bytes, 0);
  const out = [];
  if (total <= 0 || w <= 0 || h <= 0) return out;
  const scale = (w * h) / total;
  let rest = nodes.slice();
  while (rest.length) {
    const side = Math.min(w, h);
    let row = [rest[0]], i = 1;
    while (i < rest.length && worst(row.concat([rest[i]]), side, scale) <= worst(row, side, scale)) row.push(rest[i++]);
    rest = rest.slice(i);
    const area = row.reduce((s, n) => s + n.bytes * scale, 0);
    const thick = area / side;
    let off = 0;
    for (const n of row) {
      const len = (n.bytes * scale) / thick;
      out.push(w >= h ? { node: n, x: x, y: y + off, w: thick, h: len } : { node: n, x: x + off, y: y, w: len, h: thick });
      off += len;
    }
    if (w >= h) { x += thick; w -= thick; } else { y += thick; h -= thick; }
  }
  return out;
}
function describe(node, section, parent) {
  const share = (part, whole) => whole > 0 ? (100 * part / whole).toFixed(2) + " %" : "";
  return node.name + ": " + node.bytes.toLocaleString("en") + " " + section.unit + " (" + fmt(node.bytes) + ")" +
    (parent ? ", " + share(node.bytes, parent.bytes) + " of " + parent.name : "") +
    ", " + share(node.bytes, section.root.bytes) + " of the whole" + (node.detail ? " — " + node.detail : "");
}
const palette = ["#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac"];
function draw(container, nodes, section, parent, depth, box) {
  const pad = depth === 0 ? 0 : 2, head = depth === 0 ? 0 : 16;
  for (const [i, r] of layout(nodes.filter((n) => n.bytes > 0), pad, head, box.w - 2 * pad, box.h - head - pad).entries()) {
    const el = document.createElement("div");
    el.className = "box depth" + depth;
    el.style.left = r.x + "px"; el.style.top = r.y + "px"; el.style.width = Math.max(0, r.w - 1) + "px"; el.style.height = Math.max(0, r.h - 1) + "px";
    if (depth === 0) el.style.background = palette[i % palette.length];
    el.dataset.name = r.node.name;
    el.dataset.bytes = String(r.node.bytes);
    const text = describe(r.node, section, parent);
    el.title = text;
    if (r.w > 36 && r.h > 14) {
      const label = document.createElement("span");
      label.className = "label";
      label.textContent = r.node.name + (r.h > 30 ? " " + fmt(r.node.bytes) : "");
      el.appendChild(label);
    }
    el.addEventListener("mouseover", (e) => { e.stopPropagation(); status.textContent = text; });
    el.addEventListener("click", (e) => { e.stopPropagation(); detail.textContent = text; });
    container.appendChild(el);
    if (r.node.children && r.node.children.length && depth < 2 && r.w > 40 && r.h > 30) draw(el, r.node.children, section, r.node, depth + 1, { w: r.w, h: r.h });
  }
}
for (const section of data.sections) {
  const wrap = document.createElement("section");
  const h = document.createElement("h2");
  h.textContent = section.title + " — " + fmt(section.root.bytes) + " (" + section.root.bytes.toLocaleString("en") + " " + section.unit + ")";
  const map = document.createElement("div");
  map.className = section.compact ? "map compact" : "map";
  wrap.appendChild(h); wrap.appendChild(map);
  document.getElementById("sections").appendChild(wrap);
  const box = { w: map.clientWidth, h: map.clientHeight };
  draw(map, section.root.children || [section.root], section, section.root, 0, box);
}
`;

const style = `
body { font: 13px system-ui, sans-serif; margin: 16px; color: #222; }
h1 { font-size: 18px; margin: 0 0 8px; }
h2 { font-size: 14px; margin: 20px 0 6px; }
.map { position: relative; width: 100%; height: 420px; background: #eee; }
.map.compact { height: 120px; }
.box { position: absolute; box-sizing: border-box; overflow: hidden; border: 1px solid rgba(0,0,0,.25); cursor: pointer; }
.box.depth1 { background: rgba(255,255,255,.28); }
.box.depth2 { background: rgba(255,255,255,.22); }
.box:hover { outline: 2px solid #000; z-index: 1; }
.label { position: absolute; left: 3px; top: 1px; right: 3px; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; color: #111; }
#status, #detail { min-height: 1.4em; padding: 4px 6px; background: #f6f6f6; border: 1px solid #ddd; margin: 4px 0; font-family: ui-monospace, monospace; }
`;

const escapeHtml = (s: string) => s.replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]!);

export function renderReport(page: ReportPage): string {
  // "<" escaped so no string in the data can close the script element.
  const json = JSON.stringify({ sections: page.sections }).replace(/</g, "\\u003c");
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'">
<title>binship size report: ${escapeHtml(page.title)}</title>
<style>${style}</style>
</head>
<body>
<h1>binship size report: ${escapeHtml(page.title)}</h1>
<div id="status">Hover over a box for its exact size; click to keep it here:</div>
<div id="detail"></div>
<div id="sections"></div>
<script type="application/json" id="report-data">${json}</script>
<script>${script}</script>
</body>
</html>
`;
}

// The Graph view: the tape of the step being explained, micrograd's draw_dot for the page's
// model. Every recorded op (matmul_nt, add_row, the activation, log_softmax, sum, …) and every
// leaf (x, y, each W and b) is a node with its value and its gradient ∂L/∂(value); the edges
// are numbered in the order backprop visits them (dashed: an op the loss does not read). The
// record is the server's (/api/graph, the library's trace::graph, which `explain --format dot`
// prints too); this module lays it out top to bottom and shows a clicked node's numbers.

const $ = (id) => document.getElementById(id);
const W = 176, H = 56, GAP_X = 22, GAP_Y = 46, PAD = 12;
let shown = null; // the last record

/** Asks for the graph of the step `body` (the /api/explain body) and draws it. */
export async function showGraph(body, query) {
  $("graph-status").textContent = "computing…";
  const r = await fetch(`/api/graph${query}`, { method: "POST", body: JSON.stringify(body), headers: { "content-type": "application/json" } });
  const g = await r.json();
  if (!r.ok) { $("graph-status").textContent = g.error ?? `graph: ${r.status}`; return; }
  shown = g;
  $("graph-status").textContent = `${g.nodes.filter((n) => n.kind === "op").length} ops, ${g.nodes.filter((n) => n.kind === "leaf").length} leaves, ${g.edges.filter((e) => e.order).length} edges backprop takes${g.penalised ? "; the weight penalty is added outside the tape" : ""}`;
  draw(g);
}

/** Rows: an op one below its deepest input; a leaf just above the first op that reads it. */
function levels(g) {
  const level = new Array(g.nodes.length).fill(0);
  const inputs = g.nodes.map(() => []);
  for (const e of g.edges) inputs[e.to].push(e.from);
  for (const n of g.nodes) if (n.kind === "op") level[n.id] = 1 + Math.max(0, ...inputs[n.id].filter((i) => g.nodes[i].kind === "op").map((i) => level[i]));
  for (const n of g.nodes) {
    if (n.kind !== "leaf") continue;
    const readers = g.edges.filter((e) => e.from === n.id).map((e) => level[e.to]);
    level[n.id] = readers.length ? Math.min(...readers) - 1 : 0;
  }
  return level;
}

function draw(g) {
  const level = levels(g), rows = [];
  g.nodes.forEach((n) => (rows[level[n.id]] ??= []).push(n));
  const widest = Math.max(...rows.filter(Boolean).map((r) => r.length));
  const width = PAD * 2 + widest * W + (widest - 1) * GAP_X;
  const pos = [];
  rows.forEach((row, l) => {
    if (!row) return;
    const left = (width - (row.length * W + (row.length - 1) * GAP_X)) / 2;
    row.forEach((n, k) => (pos[n.id] = { x: left + k * (W + GAP_X), y: PAD + l * (H + GAP_Y) }));
  });
  const height = PAD * 2 + rows.length * (H + GAP_Y) - GAP_Y;
  let out = `<defs><marker id="graph-arrow" viewBox="0 0 8 8" refX="8" refY="4" markerWidth="7" markerHeight="7" orient="auto"><path d="M0,0 L8,4 L0,8 z" fill="#555"/></marker></defs>`;
  for (const e of g.edges) {
    const a = pos[e.from], b = pos[e.to];
    const x1 = a.x + W / 2, y1 = a.y + H, x2 = b.x + W / 2, y2 = b.y;
    out += `<line class="graph-edge${e.order ? "" : " skipped"}" x1="${x1}" y1="${y1}" x2="${x2}" y2="${y2}" marker-end="url(#graph-arrow)"/>`;
    if (e.order) out += `<text class="graph-order" x="${(x1 + x2) / 2 + 4}" y="${(y1 + y2) / 2}">${e.order}</text>`;
  }
  for (const n of g.nodes) {
    const p = pos[n.id], shape = `${n.value.length}×${n.value[0]?.length ?? 0}`;
    const title = `${n.name}${n.loss ? " = L" : ""} (${shape})`;
    out += `<g class="graph-node ${n.kind}${n.loss ? " loss" : ""}" data-node="${n.id}" tabindex="0" role="button" aria-label="${esc(title)}: value ${esc(brief(n.value))}, gradient ${esc(brief(n.gradient))}">`
      + (n.kind === "op" ? `<rect x="${p.x}" y="${p.y}" width="${W}" height="${H}" rx="4"/>` : `<ellipse cx="${p.x + W / 2}" cy="${p.y + H / 2}" rx="${W / 2}" ry="${H / 2}"/>`)
      + `<text x="${p.x + W / 2}" y="${p.y + 16}" text-anchor="middle" class="graph-title">${esc(title)}</text>`
      + `<text x="${p.x + W / 2}" y="${p.y + 32}" text-anchor="middle">${esc(clip("v " + brief(n.value)))}</text>`
      + `<text x="${p.x + W / 2}" y="${p.y + 47}" text-anchor="middle">${esc(clip("∂L/∂· " + brief(n.gradient)))}</text></g>`;
  }
  $("graph").innerHTML = `<svg viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="group" aria-label="The tape as a graph">${out}</svg>`;
  for (const el of $("graph").querySelectorAll(".graph-node")) {
    const open = () => pick(Number(el.dataset.node));
    el.addEventListener("click", open);
    el.addEventListener("keydown", (ev) => { if (ev.key === "Enter" || ev.key === " ") { ev.preventDefault(); open(); } });
  }
  $("graph-node").innerHTML = `<p class="muted">Click a node (or Tab to it and press Enter) to see its numbers.</p>`;
}

/** A node's value and gradient in full, every number as the record has it. */
function pick(id) {
  const n = shown.nodes[id];
  $("graph").querySelectorAll(".graph-node.selected").forEach((el) => el.classList.remove("selected"));
  $("graph").querySelector(`[data-node="${id}"]`)?.classList.add("selected");
  const shape = `${n.value.length}×${n.value[0]?.length ?? 0}`;
  const into = shown.edges.filter((e) => e.to === id).map((e) => shown.nodes[e.from].name);
  $("graph-node").innerHTML = `<h3 id="graph-node-title">${esc(n.name)}${n.loss ? " = L" : ""} <span class="muted">(${shape}, ${n.kind === "op" ? "op reading " + esc(into.join(", ")) : "leaf"}${n.reached ? "" : "; backprop does not reach it"})</span></h3>`
    + `<p>value</p>${table(n.value, "value")}<p>gradient ∂L/∂(${esc(n.name)})</p>${table(n.gradient, "gradient")}`;
}

function table(m, kind) {
  return `<div class="graph-matrix"><table class="${kind}">${m.map((r) => `<tr>${r.map((v) => `<td>${v}</td>`).join("")}</tr>`).join("")}</table></div>`;
}

/** The first numbers of a matrix, to 4 significant digits. */
function brief(m) {
  const flat = m.flat(), first = flat.slice(0, 3).map((v) => String(Number(v.toPrecision(4))));
  return `[${first.join(" ")}${flat.length > 3 ? " …" : ""}]`;
}

function clip(s) { return s.length > 26 ? s.slice(0, 25) + "…" : s; }
function esc(s) { return String(s).replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]); }

// The Train view's unit maps (TensorFlow Playground's picture): every hidden unit's output over
// two features as a small heatmap, and the outputs' decision map behind the data, for the epoch
// shown. The numbers are the server's (/api/train/{id}/units, the library's run::units): this
// module only colours them. A map is asked for only while the figure is shown; the rows' points
// once per pair of features. Hover, or Tab to the maps (one stop), pick one with ← →, press Enter
// and move with the arrow keys, to read the exact value of a cell (the unit's output at the
// cell's centre).

const $ = (id) => document.getElementById(id);
const NEG = [213, 94, 0], POS = [0, 114, 178], WHITE = [255, 255, 255];
const got = { key: null, points: null, answer: null, asked: null, stop: null };

/** a⁽ℓ⁾ᵢ with superscript layer and subscript unit numbers, as the diagram names units. */
function unitName(layer, unit) {
  const sup = (n) => String(n).replace(/\d/g, (d) => "⁰¹²³⁴⁵⁶⁷⁸⁹"[d]);
  const sub = (n) => String(n).replace(/\d/g, (d) => "₀₁₂₃₄₅₆₇₈₉"[d]);
  return `a${layer ? "⁽" + sup(layer) + "⁾" : ""}${sub(unit)}`;
}

function mix(a, b, t) { return a.map((v, i) => Math.round(v + (b[i] - v) * t)); }

/** Blue for positive, vermillion for negative, white at 0; `scale` is the layer's largest |value|. */
function diverging(v, scale) {
  const t = Math.min(1, Math.abs(v) / (scale || 1));
  return mix(WHITE, v >= 0 ? POS : NEG, t);
}

/** Paints a cells×cells map on a canvas, row 0 at the bottom. */
function paint(canvas, grid, colour) {
  const n = grid.length;
  canvas.width = n; canvas.height = n;
  const ctx = canvas.getContext("2d"), img = ctx.createImageData(n, n);
  for (let j = 0; j < n; j++) for (let i = 0; i < n; i++) {
    const [r, g, b] = colour(j, i), at = ((n - 1 - j) * n + i) * 4;
    img.data.set([r, g, b, 255], at);
  }
  ctx.putImageData(img, 0, 0);
}

/** The cell under a pointer event, or null. */
function cellAt(el, ev, n) {
  const r = el.getBoundingClientRect();
  const i = Math.floor(((ev.clientX - r.left) / r.width) * n), j = n - 1 - Math.floor(((ev.clientY - r.top) / r.height) * n);
  return i >= 0 && i < n && j >= 0 && j < n ? { i, j } : null;
}

function centre(range, k, n) { return range[0] + ((range[1] - range[0]) * (k + 0.5)) / n; }

/**
 * Shows the maps of session `s.id` at `s.epoch` over features `s.fx`, `s.fy` (named `s.names`);
 * `s.classes` and `s.colours` colour the outputs and the rows' points. Asks the server only when
 * the figure is shown and something changed.
 */
export async function showUnits(s) {
  const fig = $("fig-units");
  if (!fig || fig.hidden || fig.closest("[hidden]")) return;
  const key = `${s.id}/${s.fx},${s.fy}`;
  const asked = `${key}@${s.epoch}`;
  if (got.asked === asked) return;
  got.asked = asked;
  const points = got.key !== key;
  const r = await fetch(`/api/train/${s.id}/units?epoch=${s.epoch}&fx=${s.fx}&fy=${s.fy}${points ? "&points=true" : ""}`);
  const answer = await r.json();
  if (!r.ok) { $("t-units-value").textContent = answer.error ?? `units: ${r.status}`; got.asked = null; return; }
  if (got.asked !== asked) return; // a later epoch was asked for meanwhile
  if (points) { got.key = key; got.points = answer.points; }
  got.answer = answer;
  draw(answer.maps, got.points, s);
}

function draw(maps, points, s) {
  const box = $("t-units");
  const n = maps.plane.cells, [fx, fy] = s.names;
  const where = (c) => `${fx} = ${fmt(centre(maps.plane.x, c.i, n))}, ${fy} = ${fmt(centre(maps.plane.y, c.j, n))}`;
  const say = (text) => { $("t-units-value").textContent = text; };
  // Focus and the keyboard cursor survive the redraw of the next epoch.
  const focused = document.activeElement?.dataset?.map, reading = document.activeElement?.dataset?.reading;
  box.innerHTML = "";
  maps.hidden.forEach((layer, l) => {
    const scale = Math.max(1e-12, ...layer.units.flat(2).map(Math.abs));
    const row = document.createElement("div");
    row.className = "units-layer";
    row.innerHTML = `<p class="units-title">Hidden layer ${l + 1}: ${layer.units.length} units (white 0, blue +, vermillion −; full colour ±${fmt(scale)})</p>`;
    const grid = document.createElement("div");
    grid.className = "units-grid";
    layer.units.forEach((u, k) => {
      const name = unitName(l + 1, k + 1);
      grid.append(map(`h${l}-${k}`, name, u, n, (j, i) => diverging(u[j][i], scale),
        (c) => `${name} at ${where(c)}: ${u[c.j][c.i]}`, say));
    });
    row.append(grid);
    box.append(row);
  });
  // The outputs: the decision map behind the data (each cell the likeliest class, paler where
  // the model is less sure), then each output's own map.
  const out = maps.output.units, k = out.length;
  const best = (j, i) => out.reduce((b, u, c) => (u[j][i] > out[b][j][i] ? c : b), 0);
  const decision = (j, i) => { const c = best(j, i); return mix(WHITE, hex(s.colours[c % s.colours.length]), 0.25 + 0.6 * out[c][j][i]); };
  const row = document.createElement("div");
  row.className = "units-layer";
  row.innerHTML = `<p class="units-title">Output: the decision map behind the rows (circles train, squares test), then each ŷ</p>`;
  const grid = document.createElement("div");
  grid.className = "units-grid units-out";
  const all = (c) => `ŷ at ${where(c)}: ${out.map((u, m) => `${s.classes[m] ?? "ŷ" + (m + 1)} ${u[c.j][c.i]}`).join(", ")}`;
  const dm = map("out", "decision map", out[0], n, decision, all, say, true);
  dm.querySelector(".units-map").append(dots(points, maps.plane, s.colours));
  grid.append(dm);
  if (k > 1) {
    out.forEach((u, m) => grid.append(map(`o${m}`, `ŷ ${s.classes[m] ?? m + 1}`, u, n, (j, i) => mix(WHITE, hex(s.colours[m % s.colours.length]), u[j][i]),
      (c) => `ŷ ${s.classes[m] ?? m + 1} at ${where(c)}: ${u[c.j][c.i]}`, say)));
  }
  row.append(grid);
  box.append(row);
  // One tab stop for all the maps (the one last on, else the first): see map().
  const stop = box.querySelector(`[data-map="${focused ?? got.stop}"]`) ?? box.querySelector(".units-map");
  if (stop) stop.tabIndex = 0;
  if (focused && stop) {
    stop.focus();
    if (reading) stop.dataset.reading = reading;
  }
}

/** Moves the one tab stop (and focus) among the maps to `to`. */
function rove(to) {
  for (const m of $("t-units").querySelectorAll(".units-map")) m.tabIndex = m === to ? 0 : -1;
  got.stop = to.dataset.map;
  to.focus();
}

/** One labelled map: a canvas, hover and keyboard read-out of its cells. */
function map(id, name, grid, n, colour, text, say, big = false) {
  const fig = document.createElement("figure");
  fig.className = big ? "unit big" : "unit";
  const frame = document.createElement("div");
  frame.className = "units-map";
  const canvas = document.createElement("canvas");
  paint(canvas, grid, colour);
  frame.append(canvas);
  // The maps are one tab stop (ARIA's grid with widgets in its cells): ← → (Home, End) move
  // from map to map; Enter goes into a map, whose cells the arrow keys then read, and Escape
  // (or Enter) comes back out. A 4-32-16-3 network has 52 maps: not 52 tab stops.
  frame.tabIndex = -1;
  frame.dataset.map = id;
  frame.setAttribute("role", "img");
  const values = grid.flat();
  frame.setAttribute("aria-label", `${name}: from ${fmt(Math.min(...values))} to ${fmt(Math.max(...values))}; ← → the other maps, Enter to read the cells with the arrow keys, Escape to leave them`);
  let cur = { i: Math.floor(n / 2), j: Math.floor(n / 2) };
  const show = (c) => { cur = c; say(text(c)); frame.style.setProperty("--ci", c.i); frame.style.setProperty("--cj", c.j); };
  frame.addEventListener("mousemove", (ev) => { const c = cellAt(canvas, ev, n); if (c) show(c); });
  frame.addEventListener("focus", () => show(cur));
  frame.addEventListener("blur", () => delete frame.dataset.reading);
  frame.addEventListener("keydown", (ev) => {
    if (ev.key === "Enter" || ev.key === "Escape") {
      if (ev.key === "Enter" && !frame.dataset.reading) frame.dataset.reading = "cells";
      else delete frame.dataset.reading;
      ev.preventDefault();
      say(frame.dataset.reading ? `${text(cur)} (reading the cells: arrow keys; Escape to leave)` : text(cur));
      return;
    }
    if (!frame.dataset.reading) {
      const all = [...$("t-units").querySelectorAll(".units-map")], at = all.indexOf(frame);
      const to = { ArrowLeft: at - 1, ArrowUp: at - 1, ArrowRight: at + 1, ArrowDown: at + 1, Home: 0, End: all.length - 1 }[ev.key];
      if (to === undefined) return;
      ev.preventDefault();
      if (all[to]) rove(all[to]);
      return;
    }
    const d = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, 1], ArrowDown: [0, -1] }[ev.key];
    if (!d) return;
    ev.preventDefault();
    show({ i: Math.max(0, Math.min(n - 1, cur.i + d[0])), j: Math.max(0, Math.min(n - 1, cur.j + d[1])) });
  });
  const cap = document.createElement("figcaption");
  cap.textContent = name;
  fig.append(frame, cap);
  return fig;
}

/** The rows as an SVG over the decision map, in the map's data units. */
function dots(points, plane, colours) {
  const ns = "http://www.w3.org/2000/svg", svg = document.createElementNS(ns, "svg");
  svg.setAttribute("viewBox", "0 0 100 100");
  svg.setAttribute("aria-hidden", "true");
  const x = (v) => (100 * (v - plane.x[0])) / (plane.x[1] - plane.x[0]), y = (v) => 100 - (100 * (v - plane.y[0])) / (plane.y[1] - plane.y[0]);
  let out = "";
  for (const p of points ?? []) {
    const c = colours[(p.class ?? 0) % colours.length];
    out += p.part === "train"
      ? `<circle cx="${x(p.x).toFixed(2)}" cy="${y(p.y).toFixed(2)}" r="1.3" fill="${c}" stroke="#000" stroke-width=".3"/>`
      : `<rect x="${(x(p.x) - 1.3).toFixed(2)}" y="${(y(p.y) - 1.3).toFixed(2)}" width="2.6" height="2.6" fill="${c}" stroke="#000" stroke-width=".5"/>`;
  }
  svg.innerHTML = out;
  return svg;
}

function hex(h) { return [1, 3, 5].map((k) => parseInt(h.slice(k, k + 2), 16)); }
function fmt(v) { return String(Number(v.toPrecision(4))); }

/** Forgets the last answer: a new session draws afresh. */
export function resetUnits() { got.key = null; got.points = null; got.answer = null; got.asked = null; $("t-units") && ($("t-units").innerHTML = ""); }

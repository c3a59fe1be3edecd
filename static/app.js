// gradlens serve: the page's script. It computes no number: every value it shows is a field of
// a server record (/api/walkthrough, /api/train), and the formulas arrive as MathML. It only
// keeps the request body (model, samples, step size) the user edits, and lays records out.
//
// Layers are read generically: layers[i].type is "dense", "softmax"/"logsoftmax", or anything
// else, an elementwise activation.

import { historyNote, optimizerBody, optimizerSettings, setupOptimizer, showOptimizer } from "./optimizer.js";
import { showUnits, resetUnits } from "./units.js";
import { showGraph } from "./graph.js";
import { rove } from "./rove.js";
import { remember, setupShare } from "./share.js";
import { classColour, drawTable, setupPicker } from "./toy.js";
import { chosenFeatures, setChosen, showFeatures } from "./features.js";
import { fillMenus } from "./menus.js";

const $ = (id) => document.getElementById(id);

const state = {
  body: {},          // what /api/walkthrough is asked: the ExplainOptions
  data: "iris",      // the table `sample` rows come from
  page: null,        // the last /api/walkthrough answer
  stage: 0,
  playing: null,
  selected: null,    // {kind, layer, row, col}
  history: [],       // [{kind, body, loss, new_loss}]: kind is what made it (start, step, recompute, edit)
  at: -1,
};

function status(text) { $("status").textContent = text; }

// Every POST says what it sends (JSON, or CSV for an upload): the server refuses other types, so
// that no page elsewhere can post to it without the browser asking first.
async function api(path, body, method = "POST", type = "application/json") {
  const init = method === "GET" || method === "DELETE" ? { method } : { method, body: typeof body === "string" ? body : JSON.stringify(body ?? {}), headers: { "content-type": type } };
  const response = await fetch(path, init);
  const text = await response.text();
  let value;
  try { value = JSON.parse(text); } catch { value = text; }
  if (!response.ok) {
    const err = new Error(value && value.error ? value.error : `${response.status}`);
    err.answer = value;
    throw err;
  }
  return value;
}

function query() { return state.data && state.data !== "iris" ? `?data=${encodeURIComponent(state.data)}` : ""; }

// ---- the step view ----

// Explains `body` and shows it. `kind` names what made this entry in the history: "start" (a
// new model or example), "step" (the update taken), "recompute" (the form) or "edit" (a value
// changed in the Selected panel); null keeps the history as it is (going back to an entry).
async function explain(body, kind = "recompute") {
  status("computing…");
  const focused = document.activeElement?.id;
  try {
    const page = await api(`/api/walkthrough${query()}`, body);
    state.page = page;
    // From here on the body holds the model and samples explicitly, so edits apply to them.
    const e = page.explanation;
    state.body = {
      model: page.model,
      x: e.raw_inputs ?? e.inputs,
      target: e.target_classes ?? e.targets,
      lr: e.learning_rate,
      loss: e.loss_function,
      freeze_bias: e.freeze_bias,
    };
    if (e.log_base != null) state.body.log_base = e.log_base;
    Object.assign(state.body, optimizerBody(e));
    // The weight penalty's rates, as the record has them (none: no penalty).
    if (e.penalty) { state.body.l2 = e.penalty.l2; state.body.l1 = e.penalty.l1; }
    if (kind) {
      // Whether it comes from the blog's model (a start without a model of its own).
      const blog = kind === "start" ? !body.model : !!state.history[state.at]?.blog;
      state.history = state.history.slice(0, state.at + 1);
      state.history.push({ kind, blog, body: structuredClone(state.body), loss: page.text.loss, new_loss: page.text.new_loss, note: historyNote(page) });
      state.at = state.history.length - 1;
    }
    fillForm();
    showHistory();
    if (!$("view-graph").hidden) graphShow();
    await showStage(Math.min(state.stage, page.stages.length - 1));
    // The Selected panel always shows this step: the selection again if the model still has
    // it, else the hint (never the last model's chain or an error already fixed).
    if (state.selected && exists(state.selected)) await select(state.selected);
    else clearSelection();
    status("");
    $("setup-error").textContent = "";
    remember();
  } catch (err) {
    status("");
    $("setup-error").textContent = err.message;
    $("details-panel").open = true;
    showError(err.message);
  }
  // Focus stays where it was (a field rebuilt by the recompute is found again by its id).
  if (focused && document.activeElement === document.body) $(focused)?.focus();
}

/** Takes the update shown and explains the next step from the new weights (and state). */
function nextStep() {
  const body = structuredClone(state.body);
  body.model = state.page.new_model;
  return explain(body, "step");
}

/** What a link can retake of the step shown: its sample and the steps taken, when it comes from
 * the blog's model on Iris by recomputes and then steps only (a link carries no model file, no
 * uploaded table and no edit): { steps }, else null. */
function retake() {
  const made = state.history.slice(0, state.at + 1);
  const kinds = made.map((h) => h.kind).join(" ");
  if (!made[0]?.blog || state.data !== "iris" || !/^start( recompute)*( step)*$/.test(kinds)) return null;
  return { steps: made.filter((h) => h.kind === "step").length };
}

function clearSelection() {
  state.selected = null;
  $("diagram").querySelectorAll(".selected").forEach((el) => el.classList.remove("selected"));
  $("details").innerHTML = `<p class="muted">Click a weight (edge), a unit or a bias in the diagram.</p>`;
}

/** Whether the shown model has the selected weight or unit. */
function exists(sel) {
  const layers = state.page.explanation.layers;
  if (sel.kind === "weight") return layers[sel.layer]?.weights?.[sel.row]?.[sel.col] !== undefined;
  if (sel.layer === null) return !sel.input || sel.row < state.body.x[0].length;
  return layers[sel.layer] !== undefined && $("diagram").querySelector(`.unit[data-layer="${sel.layer}"][data-unit="${sel.row}"]`) !== null;
}

// The step's settings from the form: α, the loss (with its log base for cross-entropy) and
// whether the biases are kept.
function step() {
  // An empty α is left out: the body's own (the blog's 0.25 for a fresh start).
  const lr = $("lr-input").value.trim();
  const s = { lr: lr === "" ? undefined : Number(lr), loss: $("loss-input").value, freeze_bias: $("freeze-input").checked };
  // A rate of 0 is no penalty: left out (undefined), as the record leaves it out.
  for (const k of ["l2", "l1"]) { const v = Number($(`${k}-input`).value); s[k] = v === 0 ? undefined : v; }
  // undefined: JSON leaves it out, replacing a log base the body had from cross-entropy.
  s.log_base = s.loss === "cross-entropy" ? $("base-input").value : undefined;
  return Object.assign(s, optimizerSettings());
}

// `body` with the form's step settings and (unless `sample` is false) its sample: rows of the
// table, or x and the target as typed.
function formBody(body, sample = true) {
  const rows = numbers($("rows-input").value);
  if (sample && rows.length) { body.sample = rows; delete body.x; delete body.target; }
  else if (sample) {
    body.x = $("x-input").value.split(";").map(numbers).filter((r) => r.length);
    body.target = targets($("target-input").value);
  }
  return Object.assign(body, step());
}

// The targets as typed: under the quadratic loss, numbers per sample ("0.01, 0.99; 0.5, 0.5")
// when a decimal point or a ";" shows they are numbers; otherwise one class per sample (an
// index or a name).
function targets(text) {
  if ($("loss-input").value === "quadratic" && /[.;]/.test(text)) {
    return text.split(";").map(numbers).filter((r) => r.length);
  }
  return text.split(",").map((s) => s.trim()).filter((s) => s).map((s) => (/^\d+$/.test(s) ? Number(s) : s));
}

// An error: said in the Selected panel; the display keeps the last good step, labelled as such,
// and the form is put back to that step so that the two agree.
function showError(message) {
  $("details").innerHTML = "";
  const p = document.createElement("p");
  p.className = "error";
  p.id = "explain-error";
  p.textContent = message;
  $("details").append(p);
  if (state.page) {
    const note = document.createElement("p");
    note.className = "muted stale";
    note.id = "stale-note";
    note.textContent = "Still shown: the last step that could be computed; the form is back to its values.";
    $("details").append(note);
    fillForm();
  }
}

function fillForm() {
  const e = state.page.explanation;
  $("x-input").value = (e.raw_inputs ?? e.inputs).map((r) => r.join(", ")).join("; ");
  $("target-input").value = e.target_classes ? e.target_classes.join(", ") : e.targets.map((r) => r.join(", ")).join("; ");
  $("lr-input").value = e.learning_rate;
  $("loss-input").value = e.loss_function;
  if (e.log_base != null) $("base-input").value = e.log_base;
  $("freeze-input").checked = e.freeze_bias;
  showOptimizer(state.page);
  $("l2-input").value = e.penalty?.l2 ?? 0;
  $("l1-input").value = e.penalty?.l1 ?? 0;
  $("loss-line").textContent = "";
  const loss = document.createElement("span");
  loss.innerHTML = `L = <b id="loss-value"></b> → after the step <b id="new-loss-value"></b>`;
  $("loss-line").append(loss);
  // Numbers as the walk-through writes them, from the server.
  $("loss-value").textContent = state.page.text.loss;
  $("new-loss-value").textContent = state.page.text.new_loss;
  // With a weight penalty the step lowers L_data + penalty: both parts and the sum.
  const p = state.page.text.penalty;
  if (p) {
    const total = document.createElement("span");
    total.id = "penalty-line";
    total.innerHTML = ` (data loss; with the penalty <span id="penalty-value"></span>: L = <b id="total-loss-value"></b> → <b id="new-total-loss-value"></b>)`;
    $("loss-line").append(total);
    $("penalty-value").textContent = p.value;
    $("total-loss-value").textContent = p.total;
    $("new-total-loss-value").textContent = p.new_total;
  }
  const select = $("stage-select");
  select.innerHTML = "";
  state.page.stages.forEach((s, i) => select.add(new Option(s.title, i)));
}

// A larger model's walk-through arrives without the parts not yet shown (`on_demand`): a stage's
// text and the gradient diagram are asked for when first shown, and kept.
async function showStage(i) {
  const page = state.page, stages = page.stages;
  const index = Math.max(0, Math.min(i, stages.length - 1));
  state.stage = index;
  remember();
  const stage = stages[index];
  const backward = ["backward", "update", "check"].includes(stage.focus);
  const data = state.data !== "iris" ? "&data=" + encodeURIComponent(state.data) : "";
  try {
    if (stage.html == null) stage.html = (await api(`/api/part?stage=${index}${data}`, state.body)).html;
    if (backward && page.diagram.gradients == null) page.diagram.gradients = (await api(`/api/part?diagram=gradients${data}`, state.body)).svg;
  } catch (err) { status(err.message); return; }
  if (state.page !== page || state.stage !== index) return;
  $("stage-select").value = state.stage;
  // Focus on a diagram element moves to the same element of the redrawn diagram, not to <body>.
  const held = $("diagram").contains(document.activeElement) ? where(target(document.activeElement)) : null;
  $("stage").innerHTML = stage.html;
  $("stage").dataset.focus = stage.focus;
  stageStop();
  $("diagram").innerHTML = state.page.diagram[backward ? "gradients" : "values"];
  const svg = $("diagram").querySelector("svg");
  const lit = {
    inputs: ".st-inputs", forward: ".st-forward", output: ".st-softmax", loss: ".st-loss",
    backward: ".st-backward", update: ".st-update", after: ".st-loss", check: ".st-backward",
  }[stage.focus];
  if (lit) {
    svg.classList.add("focused");
    svg.querySelectorAll(lit).forEach((el) => el.classList.add("lit"));
  }
  svg.querySelectorAll(".edge, .unit").forEach((el) => el.addEventListener("click", () => select(target(el))));
  // A wide invisible line under each edge takes the taps a thin one would miss.
  svg.querySelectorAll(".edge").forEach((el) => {
    const hit = document.createElementNS("http://www.w3.org/2000/svg", "line");
    for (const a of ["x1", "y1", "x2", "y2"]) hit.setAttribute(a, el.getAttribute(a));
    hit.setAttribute("class", "hit");
    hit.setAttribute("aria-hidden", "true");
    hit.addEventListener("click", () => select(target(el)));
    el.before(hit);
  });
  if (state.selected) mark(state.selected);
  // One tab stop for the whole diagram, on what was focused or selected (rove.js).
  const stop = held ?? (state.selected ? where(state.selected) : null);
  rove(svg, (el) => select(target(el)), stop ? svg.querySelector(stop) : null);
  if (held) svg.querySelector(held)?.focus();
}

function target(el) {
  const d = el.dataset;
  if (el.classList.contains("edge")) return { kind: "weight", layer: +d.layer, row: +d.row, col: +d.col };
  return { kind: "unit", layer: d.layer === undefined ? null : +d.layer, row: +d.unit, input: d.layer === undefined && !el.classList.contains("st-loss") };
}

// The stage text is a tab stop (to scroll it with the keys) only when it has more than it shows.
function stageStop() {
  const s = $("stage");
  s.tabIndex = s.scrollHeight > s.clientHeight + 1 ? 0 : -1;
}

/** The CSS selector of the diagram element that shows `sel`: a weight's edge or a unit's box. */
function where(sel) {
  return sel.kind === "weight"
    ? `.edge[data-layer="${sel.layer}"][data-row="${sel.row}"][data-col="${sel.col}"]`
    : sel.layer === null ? (sel.input ? `.unit.st-inputs[data-unit="${sel.row}"]` : ".unit.st-loss") : `.unit[data-layer="${sel.layer}"][data-unit="${sel.row}"]`;
}

function mark(sel) {
  const svg = $("diagram").querySelector("svg");
  svg.querySelectorAll(".selected").forEach((el) => { el.classList.remove("selected"); el.setAttribute("aria-selected", "false"); });
  const el = svg.querySelector(where(sel));
  el?.classList.add("selected");
  el?.setAttribute("aria-selected", "true");
}

// A chain: from the walk-through for a small model, else asked for (a large model's walk-through
// leaves its chains out to stay light).
async function chain(kind, layer, row, col) {
  const found = (state.page.chains || []).find((c) => c.kind === kind && c.layer === layer && c.row === row && (col === undefined || c.col === col));
  if (found || !state.page.on_demand) return found;
  const at = `kind=${kind}&layer=${layer}&row=${row}${col === undefined ? "" : "&col=" + col}${state.data !== "iris" ? "&data=" + encodeURIComponent(state.data) : ""}`;
  // Kept per page: walking the diagram back and forth asks for each chain once.
  const fetched = (state.page.fetched ??= new Map());
  if (!fetched.has(at)) fetched.set(at, api(`/api/chain?${at}`, state.body).catch(() => undefined));
  return fetched.get(at);
}

/** A number field that edits the request body and recomputes. */
function editor(label, value, apply) {
  const form = document.createElement("form");
  form.className = "row";
  const input = document.createElement("input");
  input.value = value;
  input.size = 12;
  input.setAttribute("aria-label", label);
  input.id = "edit-value";
  const button = document.createElement("button");
  button.id = "edit-apply"; // an id: focus finds it again after the recompute rebuilds it
  button.textContent = "Set and recompute";
  form.append(document.createTextNode(label + " "), input, button);
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    const v = Number(input.value);
    if (input.value.trim() === "" || !Number.isFinite(v)) { showError(`${label}: '${input.value}' is not a number`); return; }
    const body = structuredClone(state.body);
    apply(body, v);
    explain(body, "edit");
  });
  return form;
}

async function select(sel) {
  state.selected = sel;
  remember();
  mark(sel);
  const box = $("details");
  const page = state.page;
  const c = sel.kind === "weight" ? await chain("weight", sel.layer, sel.row, sel.col) : sel.layer === null ? null : await chain("unit", sel.layer, sel.row);
  const b = sel.kind === "unit" && sel.layer !== null ? await chain("bias", sel.layer, sel.row) : null;
  // Another step or selection arrived while the chains were fetched: that one is shown.
  if (state.page !== page || state.selected !== sel) return;
  box.innerHTML = "";
  $("details-panel").open = true;
  const layers = state.page.explanation.layers;
  const add = (html) => { const div = document.createElement("div"); div.innerHTML = html; box.append(div); return div; };
  if (sel.kind === "weight") {
    const w = layers[sel.layer].weights[sel.row][sel.col];
    add(`<h3>${c ? c.name : "weight"}</h3>`);
    if (c) {
      add(`<p>∂L/∂${c.name} = <span class="grad" id="chain-grad"></span></p>`).querySelector("#chain-grad").textContent = c.gradient;
      add(c.html);
    } else {
      add(`<p class="muted">The model is too large for per-weight chains; the stages show its matrices.</p>`);
    }
    box.append(editor(`new value of ${c ? c.name : "the weight"}`, w, (body, v) => {
      body.model.layers[sel.layer].weights[sel.row][sel.col] = v;
    }));
    return;
  }
  if (sel.layer === null) {
    if (sel.input) {
      add(`<h3>input ${state.page.inputs[sel.row]}</h3><p class="muted">Edit it in “Sample and step”, or here:</p>`);
      box.append(editor(`${state.page.inputs[sel.row]} of sample 1`, state.body.x[0][sel.row], (body, v) => { body.x[0][sel.row] = v; delete body.sample; }));
    } else {
      add(`<h3>loss</h3><p>L = <b>${state.page.text.loss}</b>; its stage is “The loss”.</p>`);
    }
    return;
  }
  const layer = layers[sel.layer];
  if (layer.type === "dense") {
    if (c) {
      add(`<h3>${c.name}</h3>`);
      add(`<p>∂L/∂${c.name} = <span class="grad"></span></p>`).querySelector(".grad").textContent = c.gradient;
      add(c.html);
    }
    if (b) {
      add(`<h3>bias ${b.name}</h3>`);
      add(`<p>∂L/∂${b.name} = <span class="grad" id="bias-grad"></span></p>`).querySelector("#bias-grad").textContent = b.gradient;
      add(b.html);
      box.append(editor(`new value of ${b.name}`, layer.bias[sel.row], (body, v) => { body.model.layers[sel.layer].bias[sel.row] = v; }));
    } else {
      add(`<p class="muted">This layer has no bias.</p>`);
    }
    // The server marks the unit (diagram.rs decides what is dead or saturated).
    const unit = $("diagram").querySelector(`.unit[data-layer="${sel.layer}"][data-unit="${sel.row}"]`);
    const next = layers[sel.layer + 1];
    if (unit?.classList.contains("dead")) add(`<p class="error">Dead ${next.type} unit: its slope is 0, no gradient passes back through it.</p>`);
    if (unit?.classList.contains("saturated")) add(`<p class="error">Saturated ${next.type} unit: its slope is below 1e-3, the gradient nearly vanishes.</p>`);
    return;
  }
  // The output layer: its unit for the target can be changed here.
  add(`<h3>output ${sel.row + 1}${state.page.explanation.class_names ? " (" + state.page.explanation.class_names[sel.row] + ")" : ""}</h3>`);
  const button = document.createElement("button");
  button.id = "make-target";
  button.textContent = "Make this the target class";
  button.addEventListener("click", () => { const body = structuredClone(state.body); body.target = body.target.map(() => sel.row); delete body.sample; explain(body, "edit"); });
  box.append(button);
}

function showHistory() {
  const list = $("history");
  // An entry that had focus keeps it in the rebuilt list.
  const held = [...list.querySelectorAll("button")].indexOf(document.activeElement);
  list.innerHTML = "";
  state.history.forEach((h, i) => {
    const li = document.createElement("li");
    if (i === state.at) li.className = "current";
    const b = document.createElement("button");
    const what = { start: "start", step: "step taken", recompute: "recomputed", edit: "edited" }[h.kind] ?? h.kind;
    b.textContent = `${i + 1}. ${what}${h.note ?? ""}: L ${h.loss} → ${h.new_loss}`;
    b.dataset.kind = h.kind;
    b.addEventListener("click", () => { state.at = i; explain(structuredClone(h.body), null).then(() => { state.at = i; showHistory(); }); });
    li.append(b);
    list.append(li);
  });
  if (held >= 0) list.querySelectorAll("button")[Math.min(held, state.history.length - 1)]?.focus();
}

function play() {
  if (state.playing) { clearInterval(state.playing); state.playing = null; $("play").textContent = "▶"; return; }
  $("play").textContent = "❚❚";
  state.playing = setInterval(() => {
    if (state.stage >= state.page.stages.length - 1) { play(); return; }
    showStage(state.stage + 1);
  }, 1800);
}

function download(name, type, text) {
  const a = document.createElement("a");
  a.href = URL.createObjectURL(new Blob([text], { type }));
  a.download = name;
  document.body.append(a);
  a.click();
  setTimeout(() => { URL.revokeObjectURL(a.href); a.remove(); }, 1000);
}

async function downloadStep(format, ext, type) {
  const r = await fetch(`/api/explain?format=${format}${state.data !== "iris" ? "&data=" + encodeURIComponent(state.data) : ""}`, { method: "POST", body: JSON.stringify(state.body), headers: { "content-type": "application/json" } });
  download(`step.${ext}`, type, await r.text());
}

// An uploaded CSV: its target column(s) read as classes or values. A column of many different
// numbers is not made into classes silently: the server asks, and so does the page.
async function upload(file, targets) {
  $("setup-error").textContent = "";
  if (file.size > 10 * 1024 * 1024) { $("setup-error").textContent = `${file.name}: larger than the 10 MB the server takes`; return; }
  try {
    const label = $("label-input").value.trim();
    const t = await api(`/api/data?name=${encodeURIComponent(file.name)}${label ? "&label=" + encodeURIComponent(label) : ""}${targets ? "&targets=" + targets : ""}`, await file.text(), "POST", "text/csv");
    const select = $("data-select");
    select.add(new Option(`${file.name} (${t.rows} rows)`, t.id));
    select.value = t.id;
    state.data = t.id;
    showTable(t);
    dataChanged();
    const what = t.kind === "values" ? `${t.targets.length} target value${t.targets.length === 1 ? "" : "s"} (${t.targets.join(", ")})` : `${t.classes.length} classes`;
    status(`${file.name}: ${t.rows} rows, ${t.features.length} features, ${what} — press “New model”`);
  } catch (err) {
    $("setup-error").textContent = err.message;
    if (err.answer?.choose) {
      for (const [choice, text] of [["values", "Values (regression)"], ["classes", "Classes"]]) {
        const b = document.createElement("button");
        b.type = "button";
        b.id = `as-${choice}`;
        b.textContent = text;
        b.addEventListener("click", () => upload(file, choice));
        $("setup-error").append(" ", b);
      }
    }
  }
}

// A fresh start: no selection, no history (the panel then shows the new model's numbers).
function startOver(data) {
  state.data = data;
  $("data-select").value = data;
  state.history = [];
  state.at = -1;
  clearSelection();
}

// The request for a loaded model file: the form follows the model, never the other way round.
// Its loss is its own (saved with it, or cross-entropy after a softmax and quadratic otherwise);
// its samples are the table's first row when it was made for this table's features, else zeros
// of its own input width with zero targets.
function fitTo(model) {
  const dense = (model.layers ?? []).filter((l) => l.type === "dense");
  const inputs = dense[0]?.weights?.[0]?.length ?? 0, outputs = dense[dense.length - 1]?.weights?.length ?? 0;
  const last = model.layers?.[model.layers.length - 1]?.type;
  // A saved run's loss and step size are the file's own: the server reads them from it.
  const body = { model, freeze_bias: false };
  if (!model.training) {
    body.lr = Number($("lr-input").value) || 0.25;
    body.loss = model.targets || !(last === "softmax" || last === "logsoftmax") ? "quadratic" : "cross-entropy";
  }
  const loss = model.training?.loss_function ?? body.loss;
  const table = state.table;
  if (table && model.features && JSON.stringify(model.features) === JSON.stringify(table.features)) body.sample = [0];
  else {
    body.x = [Array(inputs).fill(0)];
    body.target = loss === "quadratic" ? [Array(outputs).fill(0)] : [0];
  }
  return body;
}

// A list as typed: a number where the text is one, else the text itself, so that the server's
// message quotes what was typed ("x, item 1, item 2: 'abc' is not a number"), not a null.
function numbers(text) {
  return text.split(",").map((s) => s.trim()).filter((s) => s !== "").map((s) => (Number.isFinite(Number(s)) ? Number(s) : s));
}

async function loadTable(id) {
  const t = await api(`/api/data/${encodeURIComponent(id)}`, null, "GET");
  showTable(t);
  return t;
}

function showTable(t) {
  state.table = t;
  const values = t.kind === "values";
  const head = `<tr><th>row</th>${t.features.map((f) => `<th>${escapeHtml(f)}</th>`).join("")}${values ? t.targets.map((n) => `<th>${escapeHtml(n)} (target)</th>`).join("") : "<th>class</th>"}</tr>`;
  const rows = t.preview.slice(0, 200).map((r) => `<tr><td>${r.row}</td>${r.values.map((v) => `<td>${v}</td>`).join("")}${values ? r.target.map((v) => `<td>${v}</td>`).join("") : `<td>${escapeHtml(t.classes[r.class])}</td>`}</tr>`).join("");
  const about = values ? `target values ${t.targets.map(escapeHtml).join(", ")} (quadratic loss)` : `classes ${t.classes.map(escapeHtml).join(", ")}`;
  $("table-preview").innerHTML = `<p class="muted">${t.rows} rows, ${about}</p><table>${head}${rows}</table>`;
  // A table of values is fitted by a linear output under the quadratic loss; classes by softmax.
  $("output-input").value = values ? "identity" : "softmax";
  $("t-lossfn").value = values ? "quadratic" : "cross-entropy";
  // The decision map's features: classes only.
  for (const id of ["t-fx", "t-fy"]) $(id).parentElement.hidden = values;
  for (const id of ["t-fx", "t-fy"]) {
    const s = $(id);
    s.innerHTML = "";
    t.features.forEach((f, i) => s.add(new Option(f, i)));
  }
  $("t-fx").value = 2 < t.features.length ? 2 : 0;
  $("t-fy").value = 3 < t.features.length ? 3 : 1;
  showFeatures(t.features);
  drawData();
}

// The data-set box shows the table over the map's two features (the table's first two when the
// map's are feature inputs, x₁² and the like, not columns of the table).
function drawData() {
  const t = state.table;
  if (!t) return;
  const column = (id, k) => { const i = t.features.indexOf($(id).selectedOptions[0]?.text); return i >= 0 ? i : k; };
  drawTable(t, column("t-fx", 0), column("t-fy", 1));
}

function escapeHtml(s) { return String(s).replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]); }

function setupStep() {
  setupOptimizer();
  $("prev").addEventListener("click", () => showStage(state.stage - 1));
  $("next").addEventListener("click", () => showStage(state.stage + 1));
  $("play").addEventListener("click", play);
  $("stage-select").addEventListener("change", (ev) => showStage(+ev.target.value));
  document.addEventListener("keydown", (ev) => {
    if ($("view-step").hidden || ["INPUT", "SELECT", "TEXTAREA"].includes(document.activeElement?.tagName)) return;
    if (ev.key === "ArrowRight") { showStage(state.stage + 1); ev.preventDefault(); }
    if (ev.key === "ArrowLeft") { showStage(state.stage - 1); ev.preventDefault(); }
  });
  $("sample-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    explain(formBody(structuredClone(state.body)), "recompute");
  });
  $("next-step").addEventListener("click", nextStep);
  $("reset-blog").addEventListener("click", () => { startOver("iris"); explain({}, "start"); });
  $("mazur").addEventListener("click", async () => {
    // Mazur's "A Step by Step Backpropagation Example" (2015): his 2-2-2 sigmoid network, x, the
    // targets 0.01 and 0.99, α 0.5, the quadratic loss (his E_total) and his biases kept.
    const model = await api("/static/mazur.json", null, "GET");
    startOver(state.data);
    explain({ model, x: [[0.05, 0.1]], target: [[0.01, 0.99]], lr: 0.5, loss: "quadratic", freeze_bias: true }, "start");
  });
  $("model-form").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    try {
      const output = $("output-input").value;
      const loss = $("new-loss-input").value || (output === "softmax" ? "cross-entropy" : "quadratic");
      const model = await api("/api/model", {
        data: state.data, hidden: numbers($("hidden-input").value), activation: $("act-input").value,
        bias: $("bias-input").checked, seed: Number($("seed-input").value) || 0, output, loss,
      });
      startOver(state.data);
      const body = { model, sample: [0], lr: Number($("lr-input").value) || 0.25, loss, freeze_bias: $("freeze-input").checked };
      if (loss === "cross-entropy") body.log_base = $("base-input").value;
      explain(body, "start");
    } catch (err) { $("setup-error").textContent = err.message; }
  });
  $("csv-input").addEventListener("change", (ev) => { if (ev.target.files[0]) upload(ev.target.files[0]); });
  $("data-select").addEventListener("change", async (ev) => { state.data = ev.target.value; await loadTable(state.data); await dataChanged(); });
  $("model-file").addEventListener("change", async (ev) => {
    const file = ev.target.files[0];
    if (!file) return;
    try {
      const model = JSON.parse(await file.text());
      startOver(state.data);
      explain(fitTo(model), "start");
    } catch (err) { $("setup-error").textContent = `${file.name}: ${err.message}`; }
  });
  $("save-model").addEventListener("click", () => download("model.json", "application/json", JSON.stringify(state.body.model, null, 2) + "\n"));
  $("dl-md").addEventListener("click", () => downloadStep("markdown", "md", "text/markdown"));
  $("dl-json").addEventListener("click", () => downloadStep("json", "json", "application/json"));
  $("dl-html").addEventListener("click", () => downloadStep("html", "html", "text/html"));
}

// ---- the training view ----

const train = { id: null, epoch: 0, total: 0, timer: null, classes: [], stats: [], fits: [], behind: new Set() };

// A run being set up is kept in `train.opening`: the view's tab starts none while one is on its
// way, and "One epoch" or "Run" pressed meanwhile wait for it (not for nothing: the id is unset).
function trainSetup() {
  const opening = setUpRun();
  train.opening = opening;
  opening.finally(() => { if (train.opening === opening) train.opening = null; });
  return opening;
}

async function setUpRun() {
  trainStop();
  $("train-error").textContent = "";
  closeSession();
  const batch = $("t-batch").value.trim();
  const settings = {
    data: state.data, hidden: numbers($("t-hidden").value), activation: $("t-act").value, optimizer: $("t-opt").value,
    lr: Number($("t-lr").value), epochs: Number($("t-epochs").value), seed: Number($("t-seed").value),
    l2: Number($("t-l2").value) || 0, l1: Number($("t-l1").value) || 0,
    test_fraction: Number($("t-test").value), loss: $("t-lossfn").value, freeze_bias: $("t-freeze").checked,
  };
  if (batch) settings.batch_size = Number(batch);
  const features = chosenFeatures();
  if (features) settings.features = features;
  // What the run started with, and the changes made while it went on (the link keeps both).
  train.initial = { lr: $("t-lr").value, l2: $("t-l2").value, l1: $("t-l1").value, batch };
  train.changes = [];
  $("t-changes").innerHTML = "";
  status("training…");
  // Set-ups can overlap (a data set picked while a run is set up): the last one asked for wins.
  const mine = (train.setups = (train.setups ?? 0) + 1);
  try {
    const s = await api("/api/train", settings);
    if (mine !== train.setups) { fetch(`/api/train/${s.id}`, { method: "DELETE" }).catch(() => {}); return; }
    resetUnits();
    train.id = s.id; train.total = s.epochs; train.classes = s.classes; train.stats = []; train.fits = []; train.epoch = 0; train.map = null;
    // Feature inputs are the model's inputs: the decision map's axes choose among them.
    if (s.features.join("\n") !== (state.table?.features ?? []).join("\n")) {
      for (const id of ["t-fx", "t-fy"]) { $(id).innerHTML = ""; s.features.forEach((f, i) => $(id).add(new Option(f, i))); }
      $("t-fx").value = 0; $("t-fy").value = 1;
    }
    $("t-legend").innerHTML = (state.table?.kind === "values" ? [] : s.classes).map((c, i) => `<span class="sw" style="background:${classColour(s.classes, i)}"></span> ${escapeHtml(c)}`).join(" ");
    await trainShow(0);
    status("");
  } catch (err) { status(""); $("train-error").textContent = err.message; }
}

// The session ends with the page (a reload or a closed tab), so that none is left behind.
// The page's data changed: a run on the old table is over; the Train view, if shown, sets up one
// on the new table at once, else when it is shown next.
function dataChanged() {
  trainStop();
  closeSession();
  return $("view-train").hidden ? Promise.resolve() : trainSetup();
}

function closeSession() {
  if (!train.id) return;
  fetch(`/api/train/${train.id}`, { method: "DELETE", keepalive: true }).catch(() => {});
  train.id = null;
}

// While a run plays, what is off screen is not asked for (a 4-32-16-3 network's diagram is 250 KB
// a poll, its unit maps 400 KB): the network and the unit maps are fetched once they scroll into
// view, and at the run's last epoch.
const onScreen = new Set();
const sight = new IntersectionObserver((entries) => {
  for (const e of entries) (e.isIntersecting ? onScreen.add(e.target.id) : onScreen.delete(e.target.id));
  const stale = (id) => onScreen.has(id) && train.behind.has(id);
  if (train.id && !train.timer && (stale("t-net") || stale("fig-units"))) trainShow(train.epoch).catch((err) => ($("train-error").textContent = err.message));
});
for (const id of ["t-net", "fig-units"]) sight.observe(document.getElementById(id));

/** Shows epoch `epoch` of the run; `light`: leave out the parts off screen (a playing run). */
async function trainShow(epoch, light = false) {
  if (!train.id) return;
  const skip = (id) => light && !onScreen.has(id);
  // Only the epochs not yet here are asked for; going back keeps the ones already here.
  const since = Math.min(train.stats.length, epoch);
  // The rows' points on the map change only with the map's features: asked for once per pair.
  const map = `${$("t-fx").value},${$("t-fy").value}`;
  const points = train.map !== map;
  const id = train.id;
  const r = await api(`/api/train/${id}?epoch=${epoch}&since=${since}&fx=${$("t-fx").value}&fy=${$("t-fy").value}${points ? "&points=true" : ""}${skip("t-net") ? "&diagram=false" : ""}`, null, "GET");
  // A run set up meanwhile (or closed) owns the view now: this answer is the old session's.
  if (train.id !== id) return;
  if (r.boundary) {
    if (points) { train.map = map; train.points = r.boundary.points; }
    r.boundary.points = train.points;
  }
  train.stats = train.stats.slice(0, r.since).concat(r.stats);
  train.fits = train.fits.slice(0, r.since).concat(r.fits ?? []);
  train.epoch = r.epoch;
  const values = r.fits !== null;
  for (const id of ["fig-acc", "fig-map", "fig-conf", "fig-units"]) $(id).hidden = values;
  for (const id of ["fig-rmse", "fig-r2", "fig-pairs"]) $(id).hidden = !values;
  const stats = train.stats.slice(0, r.epoch), fits = train.fits.slice(0, r.epoch);
  const last = stats[stats.length - 1], fit = fits[fits.length - 1];
  $("t-epoch").innerHTML = "";
  const span = document.createElement("span");
  span.id = "t-epoch-text";
  // The report's numbers, shown to 8 significant digits as the text output writes them.
  const f = (v) => (v === null || v === undefined ? "–" : String(Number(v.toPrecision(8))));
  span.dataset.loss = last ? last.loss : "";
  span.dataset.testLoss = last?.test_loss ?? "";
  const on = r.evaluated_on === "test" ? "test" : "train";
  const measured = !last ? "" : values
    ? `, ${on} RMSE ${fit.rmse.map(f).join(", ")}, ${on} R² ${fit.r_squared.map(f).join(", ")}`
    : `, train accuracy ${f(last.train_accuracy)}${last.test_accuracy === null ? "" : ", test accuracy " + f(last.test_accuracy)}`;
  span.textContent = last
    ? `epoch ${r.epoch} of ${r.total}: loss ${f(last.loss)}${last.test_loss == null ? "" : ", test loss " + f(last.test_loss)}${measured}`
    : `epoch 0 of ${r.total}: the initial model`;
  $("t-epoch").append(span);
  drawCurves($("t-loss"), [stats.map((s) => s.loss), stats.map((s) => s.test_loss ?? null)], r.total, null, "loss");
  if (values) {
    const targets = train.classes, key = targets.length > 1 ? ` (${targets.map((t, k) => `${["solid", "dashed"][k % 2]} ${STYLE_NAMES[k % 4]}: ${t}`).join("; ")})` : ` (${targets[0]})`;
    drawCurves($("t-rmse"), targets.map((_, k) => fits.map((x) => x.rmse[k])), r.total, null, "RMSE");
    const r2 = fits.flatMap((x) => x.r_squared).filter((v) => v !== null);
    drawCurves($("t-r2"), targets.map((_, k) => fits.map((x) => x.r_squared[k])), r.total, [Math.min(0, ...r2), 1], "R²");
    $("t-rmse-caption").textContent = `RMSE per epoch on the ${on} rows${key}`;
    $("t-r2-caption").textContent = `R² per epoch on the ${on} rows${key}`;
    drawPairs(r.pairs, targets, on);
  } else {
    drawCurves($("t-acc"), [stats.map((s) => s.train_accuracy), stats.map((s) => s.test_accuracy)], r.total, [0, 1], "accuracy");
    drawMap(r.boundary);
    drawConfusion(r.confusion, r.evaluated_on);
    const names = [$("t-fx").selectedOptions[0]?.text ?? "x", $("t-fy").selectedOptions[0]?.text ?? "y"];
    if (skip("fig-units")) train.behind.add("fig-units");
    else {
      train.behind.delete("fig-units");
      showUnits({ id: train.id, epoch: r.epoch, fx: $("t-fx").value, fy: $("t-fy").value, names, classes: train.classes, colours: train.classes.map((_, i) => classColour(train.classes, i)) })
        .catch((err) => ($("train-error").textContent = err.message));
    }
  }
  // The diagram here only shows the network (no tab stops: the server's SVG has none).
  if (r.diagram === null) train.behind.add("t-net");
  else { train.behind.delete("t-net"); $("t-net").innerHTML = r.diagram; }
  remember();
}

const STYLES = ["#0072B2", "#D55E00", "#009E73", "#CC79A7"];
const STYLE_NAMES = ["blue", "vermillion", "green", "pink"];

/** Predicted against true, one plot per target, with the line where they are equal. */
function drawPairs(pairs, targets, on) {
  const box = { W: 320, H: 300, L: 52, B: 36, T: 8, R: 8 };
  $("t-pairs").innerHTML = pairs.map((p, k) => {
    const all = p.flat(), lo = Math.min(...all), hi = Math.max(...all), pad = (hi - lo) * 0.05 || 1;
    const range = [lo - pad, hi + pad];
    const a = axes(range, range, box, [`true ${targets[k]}`, "predicted"]);
    let out = a.out + `<line class="axis" x1="${a.x(range[0])}" y1="${a.y(range[0])}" x2="${a.x(range[1])}" y2="${a.y(range[1])}" stroke-dasharray="4 3"/>`;
    for (const [t, y] of p) out += `<circle cx="${a.x(t).toFixed(1)}" cy="${a.y(y).toFixed(1)}" r="3" fill="${STYLES[k % 4]}" fill-opacity=".7" stroke="#000" stroke-width=".5"/>`;
    return `<svg class="pairs" viewBox="0 0 ${box.W} ${box.H}" role="img" aria-label="Predicted against true ${escapeHtml(targets[k])}">${out}</svg>`;
  }).join("");
  $("t-pairs-caption").textContent = `Predicted against true on the ${on} rows, one plot per target; the dashed line is predicted = true.`;
}

/** About five round numbers (1, 2 or 5 times a power of ten) from lo to hi. */
function ticks(lo, hi, count = 5) {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / count, power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw);
  const out = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(Number(v.toPrecision(12)));
  return out;
}

/** Axes, ticks and a grid in a W×H box with margins; returns the x and y maps. */
function axes(xr, yr, box, labels) {
  const { W, H, L, B, T, R } = box;
  const x = (v) => L + ((W - L - R) * (v - xr[0])) / (xr[1] - xr[0] || 1);
  const y = (v) => T + (H - T - B) * (1 - (v - yr[0]) / (yr[1] - yr[0] || 1));
  let out = "";
  for (const v of ticks(yr[0], yr[1])) {
    out += `<line class="grid-line" x1="${L}" x2="${W - R}" y1="${y(v).toFixed(1)}" y2="${y(v).toFixed(1)}"/>`;
    out += `<text class="tick" x="${L - 4}" y="${(y(v) + 4).toFixed(1)}" text-anchor="end">${v}</text>`;
  }
  for (const v of ticks(xr[0], xr[1])) {
    out += `<line class="grid-line" y1="${T}" y2="${H - B}" x1="${x(v).toFixed(1)}" x2="${x(v).toFixed(1)}"/>`;
    out += `<text class="tick" x="${x(v).toFixed(1)}" y="${H - B + 14}" text-anchor="middle">${v}</text>`;
  }
  out += `<line class="axis" x1="${L}" y1="${H - B}" x2="${W - R}" y2="${H - B}"/><line class="axis" x1="${L}" y1="${T}" x2="${L}" y2="${H - B}"/>`;
  out += `<text class="axis-label" x="${(L + W - R) / 2}" y="${H - 4}" text-anchor="middle">${escapeHtml(labels[0])}</text>`;
  out += `<text class="axis-label" transform="translate(12 ${(T + H - B) / 2}) rotate(-90)" text-anchor="middle">${escapeHtml(labels[1])}</text>`;
  return { out, x, y };
}

/** Curves over epochs 1..total (solid, then dashed); `fixed` gives the y range, else the data's. */
function drawCurves(svg, series, total, fixed, name) {
  const values = series.flat().filter((v) => v !== null && v !== undefined && Number.isFinite(v));
  // Before the first epoch there is nothing to scale to: 0 to 1.
  const lo = fixed ? fixed[0] : Math.min(0, ...values);
  const hi = fixed ? fixed[1] : values.length ? Math.max(...values, 1e-12) : 1;
  const a = axes([0, Math.max(total, 1)], [lo, hi], { W: 420, H: 240, L: 52, B: 36, T: 10, R: 12 }, ["epoch", name]);
  let out = a.out;
  series.forEach((s, k) => {
    const pts = s.map((v, i) => (v === null || v === undefined ? null : `${a.x(i + 1).toFixed(1)},${a.y(v).toFixed(1)}`)).filter((p) => p).join(" ");
    if (pts) out += `<polyline class="curve ${k === 0 ? "train" : "test"}" points="${pts}" stroke="${STYLES[k % 4]}" ${k % 2 === 1 ? 'stroke-dasharray="6 3"' : ""}/>`;
  });
  svg.innerHTML = out;
}

function drawMap(b) {
  const svg = $("t-map");
  const fx = $("t-fx").selectedOptions[0]?.text ?? "", fy = $("t-fy").selectedOptions[0]?.text ?? "";
  const box = { W: 360, H: 360, L: 48, B: 36, T: 6, R: 6 };
  // The server sends the map's ranges and rows in the data's units (the model sees them scaled).
  const a = axes(b.x, b.y, box, [fx, fy]);
  const n = b.class.length, cw = (box.W - box.L - box.R) / n, ch = (box.H - box.T - box.B) / n;
  let out = "";
  for (let j = 0; j < n; j++) {
    for (let i = 0; i < n; i++) {
      const k = b.class[j][i];
      out += `<rect x="${(box.L + i * cw).toFixed(2)}" y="${(box.H - box.B - (j + 1) * ch).toFixed(2)}" width="${(cw + 0.3).toFixed(2)}" height="${(ch + 0.3).toFixed(2)}" fill="${classColour(train.classes, k)}" fill-opacity="${(0.15 + 0.5 * b.confidence[j][i]).toFixed(3)}"/>`;
    }
  }
  out += a.out;
  for (const p of b.points) {
    const c = classColour(train.classes, p.class), px = a.x(p.x), py = a.y(p.y);
    out += p.part === "train"
      ? `<circle cx="${px.toFixed(1)}" cy="${py.toFixed(1)}" r="3.5" fill="${c}" stroke="#000" stroke-width=".7"/>`
      : `<rect x="${(px - 3.5).toFixed(1)}" y="${(py - 3.5).toFixed(1)}" width="7" height="7" fill="${c}" stroke="#000" stroke-width="1.2"/>`;
  }
  svg.innerHTML = out;
  $("t-map-caption").textContent = `Decision map over ${fx} (→) and ${fy} (↑), in the data's units; other features at their mean. Circles train rows, squares test rows.`;
}

function drawConfusion(m, on) {
  const head = `<tr><th>true \\ predicted</th>${train.classes.map((c) => `<th>${escapeHtml(c)}</th>`).join("")}</tr>`;
  const rows = m.map((r, t) => `<tr><th>${escapeHtml(train.classes[t])}</th>${r.map((v, p) => `<td class="${p === t ? "diag" : ""}">${v}</td>`).join("")}</tr>`).join("");
  $("t-conf").innerHTML = `<table class="confusion">${head}${rows}</table>`;
  $("t-conf-caption").textContent = `Confusion matrix on the ${on} rows`;
}

function trainStop() {
  if (train.timer) { clearTimeout(train.timer); train.timer = null; }
  $("t-run").textContent = "Run";
}

async function trainRun() {
  if (train.timer) { trainStop(); return; }
  await train.opening;
  if (!train.id) return;
  $("t-run").textContent = "Pause";
  const tick = async () => {
    if (train.epoch >= train.total) { trainStop(); return; }
    const next = Math.min(train.total, train.epoch + Number($("t-speed").value));
    try { await trainShow(next, next < train.total); } catch (err) { $("train-error").textContent = err.message; trainStop(); return; }
    if (train.epoch >= train.total) { trainStop(); return; }
    if (train.timer) train.timer = setTimeout(tick, 120);
  };
  train.timer = setTimeout(tick, 0);
}

// α, L2/L1 or the batch size changed while a run goes on: the server's next epochs take them
// (the report's `changes`); the list says from which epoch. The changes are sent one at a time,
// in the order made: the server keeps the last it gets, and two sent at once may arrive the
// other way round (then it would train on the first while the form shows the second).
// A change belongs to the run it was made on: one still waiting its turn when a run is set up
// again is dropped (the new run starts with the form as it is).
let changing = Promise.resolve();
function liveChange() {
  const id = train.id;
  const sent = changing.then(() => sendChange(id));
  changing = sent.catch(() => {});
  return sent;
}

async function sendChange(id) {
  if (!id || train.id !== id || train.epoch >= train.total) return;
  const batch = $("t-batch").value.trim();
  const form = { lr: $("t-lr").value, l2: $("t-l2").value, l1: $("t-l1").value, batch };
  const change = { lr: Number(form.lr), l2: Number(form.l2) || 0, l1: Number(form.l1) || 0, batch_size: batch ? Number(batch) : null };
  try {
    const r = await api(`/api/train/${id}/settings`, change);
    // A run set up meanwhile owns the list now: this answer was the closed session's.
    if (train.id !== id) return;
    // A second change before the same epoch replaces the first: the epoch takes the last.
    if (train.changes.at(-1)?.epoch === r.from_epoch) { train.changes.pop(); $("t-changes").lastElementChild?.remove(); }
    train.changes.push({ epoch: r.from_epoch, ...form });
    const li = document.createElement("li");
    li.textContent = `from epoch ${r.from_epoch}: α ${r.settings.learning_rate}, L2 ${r.settings.penalty.l2}, L1 ${r.settings.penalty.l1}, batch ${r.settings.batch_size ?? "all"}`;
    $("t-changes").append(li);
    $("train-error").textContent = "";
    remember();
  } catch (err) { if (train.id === id) $("train-error").textContent = err.message; }
}

function setupTrain() {
  for (const id of ["t-lr", "t-l2", "t-l1", "t-batch"]) $(id).addEventListener("change", liveChange);
  $("train-form").addEventListener("submit", (ev) => { ev.preventDefault(); trainSetup(); });
  $("t-run").addEventListener("click", trainRun);
  $("t-one").addEventListener("click", async () => { trainStop(); await train.opening; if (train.id && train.epoch < train.total) trainShow(train.epoch + 1).catch((e) => ($("train-error").textContent = e.message)); });
  for (const id of ["t-fx", "t-fy"]) $(id).addEventListener("change", () => { drawData(); if (train.id) trainShow(train.epoch); });
}

// The Graph view draws the tape of the step the Step view explains (graph.js).
function graphShow() {
  showGraph(state.body, query()).catch((err) => ($("graph-status").textContent = err.message));
}

// ARIA tabs: the selected tab is the one tab stop; ← and → move between tabs, Home and End to
// the first and the last. Showing the training view sets up a run if there is none (the promise
// settles once it is); arrowing back and forth while one is set up starts no second one.
const TABS = ["step", "train", "graph"];
function showTab(name) {
  for (const v of TABS) {
    $(`tab-${v}`).setAttribute("aria-selected", String(v === name));
    $(`tab-${v}`).tabIndex = v === name ? 0 : -1;
    $(`view-${v}`).hidden = v !== name;
  }
  remember();
  if (name === "graph") graphShow();
  return name === "train" && !train.id ? (train.opening ?? trainSetup()) : Promise.resolve();
}

function setupTabs() {
  const names = TABS, show = showTab;
  for (const name of names) {
    $(`tab-${name}`).addEventListener("click", () => show(name));
    $(`tab-${name}`).addEventListener("keydown", (ev) => {
      const move = { ArrowRight: 1, ArrowLeft: names.length - 1 }[ev.key];
      const next = ev.key === "Home" ? names[0] : ev.key === "End" ? names[names.length - 1]
        : move === undefined ? null : names[(names.indexOf(name) + move) % names.length];
      if (!next) return;
      ev.preventDefault();
      ev.stopPropagation();
      show(next);
      $(`tab-${next}`).focus();
    });
  }
}

fillMenus();
setupTabs();
setupStep();
setupTrain();
const pick = setupPicker({
  api,
  // A generated table is the page's data, in the step view too; the run is set up on it again.
  use: async (t, label) => {
    const select = $("data-select");
    select.querySelector("option[data-toy]")?.remove();
    const option = new Option(label, t.id);
    option.dataset.toy = "";
    select.add(option);
    select.value = t.id;
    state.data = t.id;
    showTable(t);
    await dataChanged();
  },
  clear: async () => {
    $("data-select").querySelector("option[data-toy]")?.remove();
    $("data-select").value = "iris";
    state.data = "iris";
    await loadTable("iris");
    await dataChanged();
  },
});
window.addEventListener("pagehide", closeSession);
window.addEventListener("resize", stageStop);
// Any setting changed: the link follows.
document.addEventListener("change", () => remember());
setupShare({
  epoch: () => (train.id ? train.epoch : null),
  run: () => (train.id ? { initial: train.initial, changes: train.changes } : null),
  change: liveChange,
  features: chosenFeatures,
  setFeatures: setChosen,
  stage: () => state.stage,
  selected: () => state.selected,
  retake,
  step: nextStep,
  // The step to start from: the blog's, or the one the link's settings (and sample) set up.
  start: async (link) => {
    await loadTable("iris").catch(() => {});
    await explain(link ? formBody({}, link.sample) : {}, "start");
  },
  showStage,
  select,
  pick: () => pick({ target: { id: "toy-set" } }),
  showTab,
  trainTo: (epoch) => trainShow(Math.min(epoch, train.total)),
});

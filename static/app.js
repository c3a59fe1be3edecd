// gradlens serve: the page's script. It computes no number: every value it shows is a field of
// a server record (/api/walkthrough, /api/train), and the formulas arrive as MathML. It only
// keeps the request body (model, samples, step size) the user edits, and lays records out.
//
// Layers are read generically: layers[i].type is "dense", "softmax"/"logsoftmax", or anything
// else, an elementwise activation.

const $ = (id) => document.getElementById(id);

const state = {
  body: {},          // what /api/walkthrough is asked: the ExplainOptions
  data: "iris",      // the table `sample` rows come from
  page: null,        // the last /api/walkthrough answer
  stage: 0,
  playing: null,
  selected: null,    // {kind, layer, row, col}
  history: [],       // [{body, loss, new_loss}]
  at: -1,
};

function status(text) { $("status").textContent = text; }

async function api(path, body, method = "POST") {
  const init = method === "GET" ? { method } : { method, body: typeof body === "string" ? body : JSON.stringify(body ?? {}), headers: { "content-type": "application/json" } };
  const response = await fetch(path, init);
  const text = await response.text();
  let value;
  try { value = JSON.parse(text); } catch { value = text; }
  if (!response.ok) throw new Error(value && value.error ? value.error : `${response.status}`);
  return value;
}

function query() { return state.data && state.data !== "iris" ? `?data=${encodeURIComponent(state.data)}` : ""; }

// ---- the step view ----

async function explain(body, { record = true } = {}) {
  status("computing…");
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
    if (record) {
      state.history = state.history.slice(0, state.at + 1);
      state.history.push({ body: structuredClone(state.body), loss: page.text.loss, new_loss: page.text.new_loss });
      state.at = state.history.length - 1;
    }
    fillForm();
    showHistory();
    showStage(Math.min(state.stage, page.stages.length - 1));
    if (state.selected) select(state.selected);
    status("");
    $("setup-error").textContent = "";
  } catch (err) {
    status("");
    $("setup-error").textContent = err.message;
    $("details-panel").open = true;
    showError(err.message);
  }
}

// The step's settings from the form: α, the loss (with its log base for cross-entropy) and
// whether the biases are kept.
function step() {
  const s = { lr: Number($("lr-input").value), loss: $("loss-input").value, freeze_bias: $("freeze-input").checked };
  // undefined: JSON leaves it out, replacing a log base the body had from cross-entropy.
  s.log_base = s.loss === "cross-entropy" ? $("base-input").value : undefined;
  return s;
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

function showError(message) {
  $("details").innerHTML = "";
  const p = document.createElement("p");
  p.className = "error";
  p.id = "explain-error";
  p.textContent = message;
  $("details").append(p);
}

function fillForm() {
  const e = state.page.explanation;
  $("x-input").value = (e.raw_inputs ?? e.inputs).map((r) => r.join(", ")).join("; ");
  $("target-input").value = e.target_classes ? e.target_classes.join(", ") : e.targets.map((r) => r.join(", ")).join("; ");
  $("lr-input").value = e.learning_rate;
  $("loss-input").value = e.loss_function;
  if (e.log_base != null) $("base-input").value = e.log_base;
  $("freeze-input").checked = e.freeze_bias;
  $("loss-line").textContent = "";
  const loss = document.createElement("span");
  loss.innerHTML = `L = <b id="loss-value"></b> → after the step <b id="new-loss-value"></b>`;
  $("loss-line").append(loss);
  // Numbers as the walk-through writes them, from the server.
  $("loss-value").textContent = state.page.text.loss;
  $("new-loss-value").textContent = state.page.text.new_loss;
  const select = $("stage-select");
  select.innerHTML = "";
  state.page.stages.forEach((s, i) => select.add(new Option(s.title, i)));
}

function showStage(i) {
  const stages = state.page.stages;
  state.stage = Math.max(0, Math.min(i, stages.length - 1));
  const stage = stages[state.stage];
  $("stage-select").value = state.stage;
  $("stage").innerHTML = stage.html;
  $("stage").dataset.focus = stage.focus;
  const backward = ["backward", "update", "check"].includes(stage.focus);
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
  svg.querySelectorAll(".edge, .unit").forEach((el) => {
    el.addEventListener("click", () => select(target(el)));
    el.addEventListener("keydown", (ev) => { if (ev.key === "Enter" || ev.key === " ") { ev.preventDefault(); select(target(el)); } });
  });
  if (state.selected) mark(state.selected);
}

function target(el) {
  const d = el.dataset;
  if (el.classList.contains("edge")) return { kind: "weight", layer: +d.layer, row: +d.row, col: +d.col };
  return { kind: "unit", layer: d.layer === undefined ? null : +d.layer, row: +d.unit, input: d.layer === undefined && !el.classList.contains("st-loss") };
}

function mark(sel) {
  const svg = $("diagram").querySelector("svg");
  svg.querySelectorAll(".selected").forEach((el) => el.classList.remove("selected"));
  const q = sel.kind === "weight"
    ? `.edge[data-layer="${sel.layer}"][data-row="${sel.row}"][data-col="${sel.col}"]`
    : sel.layer === null ? (sel.input ? `.unit.st-inputs[data-unit="${sel.row}"]` : ".unit.st-loss") : `.unit[data-layer="${sel.layer}"][data-unit="${sel.row}"]`;
  svg.querySelector(q)?.classList.add("selected");
}

function chain(kind, layer, row, col) {
  return (state.page.chains || []).find((c) => c.kind === kind && c.layer === layer && c.row === row && (col === undefined || c.col === col));
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
  button.textContent = "Set and recompute";
  form.append(document.createTextNode(label + " "), input, button);
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    const v = Number(input.value);
    if (input.value.trim() === "" || !Number.isFinite(v)) { showError(`${label}: '${input.value}' is not a number`); return; }
    const body = structuredClone(state.body);
    apply(body, v);
    explain(body);
  });
  return form;
}

function select(sel) {
  state.selected = sel;
  mark(sel);
  const box = $("details");
  box.innerHTML = "";
  $("details-panel").open = true;
  const layers = state.page.explanation.layers;
  const add = (html) => { const div = document.createElement("div"); div.innerHTML = html; box.append(div); return div; };
  if (sel.kind === "weight") {
    const c = chain("weight", sel.layer, sel.row, sel.col);
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
      add(`<h3>input x${sel.row + 1}</h3><p class="muted">Edit it in “Sample and step”, or here:</p>`);
      box.append(editor(`x${sel.row + 1} of sample 1`, state.body.x[0][sel.row], (body, v) => { body.x[0][sel.row] = v; delete body.sample; }));
    } else {
      add(`<h3>loss</h3><p>L = <b>${state.page.text.loss}</b>; its stage is “The loss”.</p>`);
    }
    return;
  }
  const layer = layers[sel.layer];
  if (layer.type === "dense") {
    const c = chain("unit", sel.layer, sel.row);
    if (c) {
      add(`<h3>${c.name}</h3>`);
      add(`<p>∂L/∂${c.name} = <span class="grad"></span></p>`).querySelector(".grad").textContent = c.gradient;
      add(c.html);
    }
    const b = chain("bias", sel.layer, sel.row);
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
  button.textContent = "Make this the target class";
  button.addEventListener("click", () => { const body = structuredClone(state.body); body.target = body.target.map(() => sel.row); delete body.sample; explain(body); });
  box.append(button);
}

function showHistory() {
  const list = $("history");
  list.innerHTML = "";
  state.history.forEach((h, i) => {
    const li = document.createElement("li");
    if (i === state.at) li.className = "current";
    const b = document.createElement("button");
    b.textContent = `step ${i + 1}: L ${h.loss} → ${h.new_loss}`;
    b.addEventListener("click", () => { state.at = i; explain(structuredClone(h.body), { record: false }).then(() => { state.at = i; showHistory(); }); });
    li.append(b);
    list.append(li);
  });
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
  const r = await fetch(`/api/explain?format=${format}${state.data !== "iris" ? "&data=" + encodeURIComponent(state.data) : ""}`, { method: "POST", body: JSON.stringify(state.body) });
  download(`step.${ext}`, type, await r.text());
}

function numbers(text) { return text.split(",").map((s) => s.trim()).filter((s) => s !== "").map(Number); }

async function loadTable(id) {
  const t = await api(`/api/data/${encodeURIComponent(id)}`, null, "GET");
  showTable(t);
  return t;
}

function showTable(t) {
  const head = `<tr><th>row</th>${t.features.map((f) => `<th>${escapeHtml(f)}</th>`).join("")}<th>class</th></tr>`;
  const rows = t.preview.slice(0, 200).map((r) => `<tr><td>${r.row}</td>${r.values.map((v) => `<td>${v}</td>`).join("")}<td>${escapeHtml(t.classes[r.class])}</td></tr>`).join("");
  $("table-preview").innerHTML = `<p class="muted">${t.rows} rows, classes ${t.classes.map(escapeHtml).join(", ")}</p><table>${head}${rows}</table>`;
  for (const id of ["t-fx", "t-fy"]) {
    const s = $(id);
    s.innerHTML = "";
    t.features.forEach((f, i) => s.add(new Option(f, i)));
  }
  $("t-fx").value = 2 < t.features.length ? 2 : 0;
  $("t-fy").value = 3 < t.features.length ? 3 : 1;
}

function escapeHtml(s) { return String(s).replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]); }

function setupStep() {
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
    const body = structuredClone(state.body);
    const rows = numbers($("rows-input").value);
    if (rows.length) { body.sample = rows; delete body.x; delete body.target; }
    else {
      body.x = $("x-input").value.split(";").map(numbers).filter((r) => r.length);
      body.target = targets($("target-input").value);
    }
    Object.assign(body, step());
    explain(body);
  });
  $("next-step").addEventListener("click", () => {
    const body = structuredClone(state.body);
    body.model = state.page.new_model;
    explain(body);
  });
  $("reset-blog").addEventListener("click", () => { state.data = "iris"; $("data-select").value = "iris"; state.history = []; state.at = -1; state.selected = null; explain({}); });
  $("model-form").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    try {
      const model = await api("/api/model", {
        data: state.data, hidden: numbers($("hidden-input").value), activation: $("act-input").value,
        bias: $("bias-input").checked, seed: Number($("seed-input").value) || 0,
      });
      state.selected = null;
      state.history = []; state.at = -1;
      explain({ model, sample: [0], ...step(), lr: Number($("lr-input").value) || 0.25 });
    } catch (err) { $("setup-error").textContent = err.message; }
  });
  $("csv-input").addEventListener("change", async (ev) => {
    const file = ev.target.files[0];
    if (!file) return;
    $("setup-error").textContent = "";
    if (file.size > 10 * 1024 * 1024) { $("setup-error").textContent = `${file.name}: larger than the 10 MB the server takes`; return; }
    try {
      const label = $("label-input").value.trim();
      const t = await api(`/api/data?name=${encodeURIComponent(file.name)}${label ? "&label=" + encodeURIComponent(label) : ""}`, await file.text());
      const select = $("data-select");
      select.add(new Option(`${file.name} (${t.rows} rows)`, t.id));
      select.value = t.id;
      state.data = t.id;
      showTable(t);
      status(`${file.name}: ${t.rows} rows, ${t.features.length} features, ${t.classes.length} classes — press “New model”`);
    } catch (err) {
      $("setup-error").textContent = err.message;
    }
  });
  $("data-select").addEventListener("change", async (ev) => { state.data = ev.target.value; await loadTable(state.data); });
  $("model-file").addEventListener("change", async (ev) => {
    const file = ev.target.files[0];
    if (!file) return;
    try {
      const model = JSON.parse(await file.text());
      const body = structuredClone(state.body);
      body.model = model;
      delete body.x; delete body.target; delete body.sample; delete body.lr; delete body.loss; delete body.log_base;
      body.sample = [0];
      explain(body);
    } catch (err) { $("setup-error").textContent = `${file.name}: ${err.message}`; }
  });
  $("save-model").addEventListener("click", () => download("model.json", "application/json", JSON.stringify(state.body.model, null, 2) + "\n"));
  $("dl-md").addEventListener("click", () => downloadStep("markdown", "md", "text/markdown"));
  $("dl-json").addEventListener("click", () => downloadStep("json", "json", "application/json"));
  $("dl-html").addEventListener("click", () => downloadStep("html", "html", "text/html"));
}

// ---- the training view ----

const CLASS_COLOURS = ["#E69F00", "#56B4E9", "#009E73", "#CC79A7", "#0072B2", "#D55E00", "#F0E442", "#000000"];
const train = { id: null, epoch: 0, total: 0, timer: null, classes: [] };

async function trainSetup() {
  trainStop();
  $("train-error").textContent = "";
  if (train.id) { api(`/api/train/${train.id}`, null, "DELETE").catch(() => {}); train.id = null; }
  const batch = $("t-batch").value.trim();
  const settings = {
    data: state.data, hidden: numbers($("t-hidden").value), activation: $("t-act").value, optimizer: $("t-opt").value,
    lr: Number($("t-lr").value), epochs: Number($("t-epochs").value), seed: Number($("t-seed").value),
    test_fraction: Number($("t-test").value), loss: $("t-lossfn").value, freeze_bias: $("t-freeze").checked,
  };
  if (batch) settings.batch_size = Number(batch);
  status("training…");
  try {
    const s = await api("/api/train", settings);
    train.id = s.id; train.total = s.epochs; train.classes = s.classes;
    $("t-legend").innerHTML = s.classes.map((c, i) => `<span class="sw" style="background:${CLASS_COLOURS[i % 8]}"></span> ${escapeHtml(c)}`).join(" ");
    await trainShow(0);
    status("");
  } catch (err) { status(""); $("train-error").textContent = err.message; }
}

async function trainShow(epoch) {
  if (!train.id) return;
  const r = await api(`/api/train/${train.id}?epoch=${epoch}&fx=${$("t-fx").value}&fy=${$("t-fy").value}`, null, "GET");
  train.epoch = r.epoch;
  const last = r.stats[r.stats.length - 1];
  $("t-epoch").innerHTML = "";
  const span = document.createElement("span");
  span.id = "t-epoch-text";
  // The report's numbers, shown to 8 significant digits as the text output writes them.
  const f = (v) => String(Number(v.toPrecision(8)));
  span.dataset.loss = last ? last.loss : "";
  span.textContent = last
    ? `epoch ${r.epoch} of ${r.total}: loss ${f(last.loss)}, train accuracy ${f(last.train_accuracy)}${last.test_accuracy === null ? "" : ", test accuracy " + f(last.test_accuracy)}`
    : `epoch 0 of ${r.total}: the initial model`;
  $("t-epoch").append(span);
  drawCurves($("t-loss"), [r.stats.map((s) => s.loss)], r.total);
  drawCurves($("t-acc"), [r.stats.map((s) => s.train_accuracy), r.stats.map((s) => s.test_accuracy)], r.total, [0, 1]);
  drawMap(r.boundary);
  drawConfusion(r.confusion, r.evaluated_on);
  $("t-net").innerHTML = r.diagram;
}

/** Polylines over epochs 1..total; `fixed` gives the y range, else the data's own. */
function drawCurves(svg, series, total, fixed) {
  const W = 420, H = 220, L = 46, B = 24, T = 8, R = 10;
  const values = series.flat().filter((v) => v !== null);
  const lo = fixed ? fixed[0] : Math.min(0, ...values);
  const hi = fixed ? fixed[1] : Math.max(...values, 1e-12);
  const x = (i) => L + ((W - L - R) * i) / Math.max(total, 1);
  const y = (v) => T + (H - T - B) * (1 - (v - lo) / (hi - lo || 1));
  let out = `<line class="axis" x1="${L}" y1="${H - B}" x2="${W - R}" y2="${H - B}"/><line class="axis" x1="${L}" y1="${T}" x2="${L}" y2="${H - B}"/>`;
  out += `<text class="tick" x="${L - 4}" y="${T + 10}" text-anchor="end">${fixed ? hi : values.length ? hi.toPrecision(3) : ""}</text><text class="tick" x="${L - 4}" y="${H - B}" text-anchor="end">${lo}</text>`;
  out += `<text class="tick" x="${W - R}" y="${H - 6}" text-anchor="end">epoch ${total}</text><text class="tick" x="${L}" y="${H - 6}">0</text>`;
  series.forEach((s, k) => {
    const pts = s.map((v, i) => (v === null ? null : `${x(i + 1).toFixed(1)},${y(v).toFixed(1)}`)).filter((p) => p).join(" ");
    out += `<polyline class="curve" points="${pts}" stroke="${k === 0 ? "#0072B2" : "#D55E00"}" ${k === 1 ? 'stroke-dasharray="6 3"' : ""}/>`;
  });
  svg.innerHTML = out;
}

function drawMap(b) {
  const svg = $("t-map");
  const S = 320, n = b.class.length, cell = S / n;
  let out = "";
  for (let j = 0; j < n; j++) {
    for (let i = 0; i < n; i++) {
      const k = b.class[j][i];
      out += `<rect x="${(i * cell).toFixed(2)}" y="${(S - (j + 1) * cell).toFixed(2)}" width="${(cell + 0.3).toFixed(2)}" height="${(cell + 0.3).toFixed(2)}" fill="${CLASS_COLOURS[k % 8]}" fill-opacity="${(0.15 + 0.5 * b.confidence[j][i]).toFixed(3)}"/>`;
    }
  }
  const px = (v) => (S * (v - b.x[0])) / (b.x[1] - b.x[0]);
  const py = (v) => S - (S * (v - b.y[0])) / (b.y[1] - b.y[0]);
  for (const p of b.points) {
    const c = CLASS_COLOURS[p.class % 8];
    out += p.part === "train"
      ? `<circle cx="${px(p.x).toFixed(1)}" cy="${py(p.y).toFixed(1)}" r="3.5" fill="${c}" stroke="#000" stroke-width=".7"/>`
      : `<rect x="${(px(p.x) - 3.5).toFixed(1)}" y="${(py(p.y) - 3.5).toFixed(1)}" width="7" height="7" fill="${c}" stroke="#000" stroke-width="1.2"/>`;
  }
  svg.innerHTML = out;
  const fx = $("t-fx").selectedOptions[0]?.text ?? "", fy = $("t-fy").selectedOptions[0]?.text ?? "";
  $("t-map-caption").textContent = `Decision map over ${fx} (→) and ${fy} (↑), scaled; other features at their mean. Circles train rows, squares test rows.`;
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

function trainRun() {
  if (train.timer) { trainStop(); return; }
  if (!train.id) return;
  $("t-run").textContent = "Pause";
  const tick = async () => {
    if (train.epoch >= train.total) { trainStop(); return; }
    const next = Math.min(train.total, train.epoch + Number($("t-speed").value));
    try { await trainShow(next); } catch (err) { $("train-error").textContent = err.message; trainStop(); return; }
    if (train.epoch >= train.total) { trainStop(); return; }
    if (train.timer) train.timer = setTimeout(tick, 120);
  };
  train.timer = setTimeout(tick, 0);
}

function setupTrain() {
  $("train-form").addEventListener("submit", (ev) => { ev.preventDefault(); trainSetup(); });
  $("t-run").addEventListener("click", trainRun);
  $("t-one").addEventListener("click", () => { trainStop(); if (train.id && train.epoch < train.total) trainShow(train.epoch + 1).catch((e) => ($("train-error").textContent = e.message)); });
  for (const id of ["t-fx", "t-fy"]) $(id).addEventListener("change", () => train.id && trainShow(train.epoch));
}

function setupTabs() {
  const show = (name) => {
    for (const v of ["step", "train"]) {
      $(`tab-${v}`).setAttribute("aria-selected", String(v === name));
      $(`view-${v}`).hidden = v !== name;
    }
    if (name === "train" && !train.id) trainSetup();
  };
  $("tab-step").addEventListener("click", () => show("step"));
  $("tab-train").addEventListener("click", () => show("train"));
}

setupTabs();
setupStep();
setupTrain();
loadTable("iris").catch(() => {});
explain({});

// The step view's optimizer: the choice of sgd, momentum or adam with its settings in the form,
// and the state the step carried (momentum's velocity, adam's m, v and t), shown from the
// server's record. Like app.js it computes no number: the state travels in the model file the
// page sends back ("Next step" sends /api/walkthrough's new_model, whose training.state is the
// state after the step), and the table's numbers are the server's, as the walk-through writes them.

const $ = (id) => document.getElementById(id);

const FIELDS = { momentum: [["momentum", "mass-input"]], adam: [["b1", "b1-input"], ["b2", "b2-input"], ["eps", "eps-input"]] };

// A field's number, or its text as typed when it is not one (the server names the field and
// says why), or undefined when empty (JSON leaves it out: the default, or the saved run's).
function value(id) {
  const text = $(id).value.trim();
  if (text === "") return undefined;
  const n = Number(text);
  return Number.isFinite(n) ? n : text;
}

/** The explain body's optimizer fields, from the form. */
export function optimizerSettings() {
  const kind = $("opt-input").value;
  const s = { optimizer: kind, momentum: undefined, b1: undefined, b2: undefined, eps: undefined };
  for (const [key, id] of FIELDS[kind] ?? []) s[key] = value(id);
  return s;
}

/** The body's optimizer fields for the step `e` took (so that a recompute keeps them). */
export function optimizerBody(e) {
  const o = e.optimizer;
  return { optimizer: o.kind, momentum: o.mass, b1: o.b1, b2: o.b2, eps: o.eps };
}

/** Shows the settings a field holds only for its optimizer. */
function showFields() {
  const kind = $("opt-input").value;
  for (const [k, fields] of Object.entries(FIELDS)) {
    for (const [, id] of fields) $(id).closest("label").hidden = k !== kind;
  }
}

/** The form follows the step shown; the state panel shows what it carried. */
export function showOptimizer(page) {
  const o = page.explanation.optimizer;
  $("opt-input").value = o.kind;
  for (const [key, id] of [["mass", "mass-input"], ["b1", "b1-input"], ["b2", "b2-input"], ["eps", "eps-input"]]) {
    if (o[key] !== undefined) $(id).value = o[key];
  }
  showFields();
  showState(page.optimizer_state);
}

function showState(s) {
  const panel = $("opt-state");
  panel.innerHTML = "";
  panel.hidden = !s;
  if (!s) return;
  const p = document.createElement("p");
  p.id = "opt-t";
  const before = s.t_before === 0 ? "from a state of 0" : `from the state after ${s.t_before} steps`;
  p.textContent = `${s.optimizer}: this step is t = ${s.t} (${before}); the next step goes on from t = ${s.t} and the state below.`;
  panel.append(p);
  const wrap = document.createElement("div");
  wrap.className = "opt-scroll";
  wrap.tabIndex = 0;
  wrap.setAttribute("role", "region");
  wrap.setAttribute("aria-label", `${s.optimizer}'s state after the step`);
  const table = document.createElement("table");
  table.id = "opt-table";
  const head = table.createTHead().insertRow();
  for (const h of ["parameter", ...s.columns]) {
    const th = document.createElement("th");
    th.scope = "col";
    th.textContent = h;
    head.append(th);
  }
  const body = table.createTBody();
  for (const r of s.rows) {
    const tr = body.insertRow();
    const th = document.createElement("th");
    th.scope = "row";
    th.textContent = r.name;
    tr.append(th);
    for (const v of r.values) tr.insertCell().textContent = v;
  }
  wrap.append(table);
  panel.append(wrap);
  if (s.more > 0) {
    const more = document.createElement("p");
    more.className = "muted";
    more.textContent = `${s.more} more parameters: the update stage's matrices hold them all.`;
    panel.append(more);
  }
}

/** What the history says about a step's optimizer: " · adam t = 2", or nothing for sgd. */
export function historyNote(page) {
  const s = page.optimizer_state;
  return s ? ` · ${s.optimizer} t = ${s.t}` : "";
}

export function setupOptimizer() {
  $("opt-input").addEventListener("change", showFields);
  showFields();
}

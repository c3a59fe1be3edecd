// The page's whole setup in the URL's hash, so that a link reproduces it: the data set (the
// picker's set, points, noise and data seed), the feature inputs, the run's settings (model, activation, optimizer,
// rates, loss, epochs, batch, seed, test share, the map's features), the epoch shown, the step
// view's settings (α, L2/L1, loss, log base, frozen biases, the optimizer and its settings), its
// sample and the steps taken from it (when they started from the blog's model on Iris), its stage
// and selected weight or unit, and the view. Opening the link sets the forms, generates the same set and trains the same
// run to the same epoch on the server: the same numbers, computed again, not carried in the link.

const $ = (id) => document.getElementById(id);

// Link key → form control, per part of the page.
const PICKER = { set: "toy-set", points: "toy-points", noise: "toy-noise", dseed: "toy-seed" };
const TRAIN = { hidden: "t-hidden", act: "t-act", opt: "t-opt", lr: "t-lr", l2: "t-l2", l1: "t-l1", loss: "t-lossfn", freeze: "t-freeze", epochs: "t-epochs", batch: "t-batch", seed: "t-seed", test: "t-test", fx: "t-fx", fy: "t-fy" };
const STEP = { slr: "lr-input", sl2: "l2-input", sl1: "l1-input", sloss: "loss-input", sbase: "base-input", sfreeze: "freeze-input", sopt: "opt-input" };
// The step's sample (x and its target, as typed).
const SAMPLE = { sx: "x-input", starget: "target-input" };
// The step's optimizer settings, each only with its optimizer.
const OPTIMIZER = { momentum: { smass: "mass-input" }, adam: { sb1: "b1-input", sb2: "b2-input", seps: "eps-input" } };

let page = null;
let restoring = false;

function read(fields, params) {
  for (const [key, id] of Object.entries(fields)) {
    const el = $(id);
    if (!el) continue;
    params.set(key, el.type === "checkbox" ? (el.checked ? "1" : "0") : el.value);
  }
}

function write(fields, params) {
  for (const [key, id] of Object.entries(fields)) {
    const el = $(id), v = params.get(key);
    if (!el || v === null) continue;
    if (el.type === "checkbox") el.checked = v === "1";
    else el.value = v;
  }
}

/** Writes the page's setup into the URL (replacing the entry: no history per change). */
export function remember() {
  if (!page || restoring) return;
  const params = new URLSearchParams();
  params.set("view", $("view-train").hidden ? "step" : "train");
  if ($("toy-set").value) read(PICKER, params);
  read(TRAIN, params);
  const features = page.features();
  if (features) params.set("features", features);
  // A run changed while it went on: the link holds what it started with and each change.
  const run = page.run();
  if (run?.changes.length) {
    for (const [key, v] of Object.entries(run.initial)) params.set(key, v);
    params.set("changes", JSON.stringify(run.changes.map((c) => [c.epoch, c.lr, c.l2, c.l1, c.batch])));
  }
  const epoch = page.epoch();
  if (epoch !== null) params.set("epoch", epoch);
  read(STEP, params);
  read(OPTIMIZER[$("opt-input").value] ?? {}, params);
  // The sample and the steps taken from the start ("Next step"), when the link can retake them.
  const again = page.retake();
  if (again) {
    read(SAMPLE, params);
    if (again.steps) params.set("steps", again.steps);
  }
  params.set("stage", page.stage());
  const sel = page.selected();
  if (sel) params.set("sel", JSON.stringify({ kind: sel.kind, layer: sel.layer, row: sel.row, col: sel.col ?? null, input: !!sel.input }));
  history.replaceState(null, "", `#${params}`);
}

/** The selection a link names, if it is one (kind weight or unit, whole numbers or null). */
function selection(text) {
  try {
    const s = JSON.parse(text);
    const whole = (v) => v === null || Number.isInteger(v);
    if (["weight", "unit"].includes(s.kind) && whole(s.layer) && Number.isInteger(s.row) && whole(s.col)) {
      return { kind: s.kind, layer: s.layer, row: s.row, col: s.col ?? undefined, input: s.input === true };
    }
  } catch { /* not a selection: none */ }
  return null;
}

/**
 * Wires the link. `hooks`: epoch() (shown, or null without a session), run() (its initial
 * α, L2, L1, batch and the changes made since, or null), change() (makes the Train form's
 * α, L2, L1 and batch the run's from the next epoch), features() (the ticked feature inputs, or
 * undefined) and setFeatures(list), stage(), selected(), retake() (whether the link can retake the
 * step's sample and how many steps were taken since it: { steps }, or null),
 * and to restore: start({ sample }) explains the step the form sets up (with its sample, or
 * the blog's), step() takes the next, showStage(i), select(sel),
 * pick() generates the picker's set, showTab(name) (its promise settles once a run is set up)
 * and trainTo(epoch). Returns a promise that settles once the link's setup is shown (or at
 * once without a link).
 */
export async function setupShare(hooks) {
  page = hooks;
  const params = new URLSearchParams(location.hash.slice(1));
  if (!params.has("view")) { await hooks.start(null); page = hooks; remember(); return; }
  restoring = true;
  try {
    write(PICKER, params);
    write(TRAIN, params);
    write(STEP, params);
    $("toy-noise-out").textContent = $("toy-noise").value;
    write({ ...OPTIMIZER.momentum, ...OPTIMIZER.adam, ...SAMPLE }, params);
    // The step as the form now has it (the link's sample, if it has one), then the steps taken.
    await hooks.start({ sample: params.has("sx") });
    const steps = Number(params.get("steps"));
    for (let i = 0; Number.isInteger(steps) && i < Math.min(steps, 100); i++) await hooks.step();
    await hooks.showStage(Number(params.get("stage")) || 0);
    const sel = params.has("sel") ? selection(params.get("sel")) : null;
    if (sel) await hooks.select(sel);
    if ($("toy-set").value) await hooks.pick();
    // Again once the table has filled the map's feature lists and chosen its loss; the feature
    // inputs once the table's columns have made their checkboxes.
    write(TRAIN, params);
    if (params.has("features")) hooks.setFeatures(params.get("features"));
    if (params.get("view") === "train") {
      await hooks.showTab("train");
      // The changes made while the run went on, each at its epoch.
      let changes = [];
      try { changes = JSON.parse(params.get("changes") ?? "[]"); } catch { changes = []; }
      for (const c of Array.isArray(changes) ? changes : []) {
        if (!Array.isArray(c) || !Number.isInteger(c[0]) || c[0] < 1) continue;
        await hooks.trainTo(c[0] - 1);
        write({ lr: "t-lr", l2: "t-l2", l1: "t-l1", batch: "t-batch" }, new URLSearchParams({ lr: c[1], l2: c[2], l1: c[3], batch: c[4] ?? "" }));
        await hooks.change();
      }
      const epoch = Number(params.get("epoch"));
      if (Number.isInteger(epoch) && epoch > 0) await hooks.trainTo(epoch);
    }
  } finally {
    restoring = false;
  }
  remember();
}

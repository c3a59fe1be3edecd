// The step view's diagram as ONE tab stop (ARIA's composite widget with a roving tabindex): Tab
// enters it on the selected unit or weight (else the first input) and leaves it with the next
// Tab, however many edges the model has; inside, the arrow keys walk the network:
//   on a unit   ↑ ↓ the unit above or below in its column; → its first outgoing weight (or the
//               next column's nearest unit where no weights lead: softmax, the loss); ← its
//               first incoming weight (or the column before's nearest unit);
//   on a weight → the unit it feeds, ← the unit it reads; ↑ ↓ the weight above or below among
//               those of the unit it was reached from (its fan-out, or its fan-in after ←);
//   Home, End   the first input, the loss.
// The selection follows focus (the Selected panel shows the element reached); Enter or Space
// selects too. The walk is found from the drawing (the SVG's coordinates), so a layer of any
// kind needs nothing here. (No focus listener on the SVG: Chrome makes an SVG element with one
// a tab stop of its own.)

const UNIT = ".unit", EDGE = ".edge";
const near = (a, b) => Math.abs(a - b) < 0.25;

/** A unit's column (its box's left x), top, centre and right; an edge's two ends. */
function box(u) {
  const r = u.querySelector("rect");
  const x = +r.getAttribute("x"), y = +r.getAttribute("y"), w = +r.getAttribute("width"), h = +r.getAttribute("height");
  return { x, right: x + w, cy: y + h / 2 };
}
function ends(e) {
  return { x1: +e.getAttribute("x1"), y1: +e.getAttribute("y1"), x2: +e.getAttribute("x2"), y2: +e.getAttribute("y2") };
}

/**
 * Makes the diagram `svg` one tab stop. `select(el)` shows what `el` (a unit or an edge) is;
 * `start` is the element to hold the stop (the selected or last focused one), if any.
 */
export function rove(svg, select, start) {
  const units = [...svg.querySelectorAll(UNIT)], edges = [...svg.querySelectorAll(EDGE)];
  if (!units.length) return;
  svg.setAttribute("role", "listbox");
  svg.setAttribute("aria-label", "The network: ← and → move along it, ↑ and ↓ within a layer or a unit's weights; the Selected panel shows the one reached");
  for (const el of [...units, ...edges]) { el.tabIndex = -1; el.setAttribute("role", "option"); }
  const columns = [...new Set(units.map((u) => box(u).x))].sort((a, b) => a - b);
  const column = (x) => units.filter((u) => near(box(u).x, x)).sort((a, b) => box(a).cy - box(b).cy);
  let from = "source"; // the end of the current edge it was reached from
  const stop = (el) => {
    for (const o of svg.querySelectorAll('[tabindex="0"]')) if (o !== el) o.tabIndex = -1;
    el.tabIndex = 0;
  };
  stop(start && svg.contains(start) ? start : units[0]);

  const nearest = (col, cy) => col.reduce((best, u) => (Math.abs(box(u).cy - cy) < Math.abs(box(best).cy - cy) ? u : best), col[0]);
  const beside = (u, step) => {
    const b = box(u), x = columns[columns.findIndex((c) => near(c, b.x)) + step];
    return x === undefined ? null : nearest(column(x), b.cy);
  };
  const byY = (list, key) => list.sort((a, b) => ends(a)[key] - ends(b)[key]);
  const out = (u) => { const b = box(u); return byY(edges.filter((e) => { const p = ends(e); return near(p.x1, b.right) && near(p.y1, b.cy); }), "y2"); };
  const into = (u) => { const b = box(u); return byY(edges.filter((e) => { const p = ends(e); return near(p.x2, b.x) && near(p.y2, b.cy); }), "y1"); };
  const unitAt = (x, y) => units.find((u) => { const b = box(u); return (near(b.x, x) || near(b.right, x)) && near(b.cy, y); });

  function next(el, key) {
    if (key === "Home") return units[0];
    if (key === "End") return units[units.length - 1];
    if (el.matches(UNIT)) {
      if (key === "ArrowUp" || key === "ArrowDown") {
        const col = column(box(el).x), i = col.indexOf(el) + (key === "ArrowDown" ? 1 : -1);
        return col[i] ?? null;
      }
      const forward = key === "ArrowRight";
      const fan = forward ? out(el) : into(el);
      from = forward ? "source" : "target";
      return fan[0] ?? beside(el, forward ? 1 : -1);
    }
    const p = ends(el);
    if (key === "ArrowRight") return unitAt(p.x2, p.y2);
    if (key === "ArrowLeft") return unitAt(p.x1, p.y1);
    const anchor = from === "source" ? unitAt(p.x1, p.y1) : unitAt(p.x2, p.y2);
    const fan = anchor ? (from === "source" ? out(anchor) : into(anchor)) : [];
    return fan[fan.indexOf(el) + (key === "ArrowDown" ? 1 : -1)] ?? null;
  }

  let resting;
  svg.addEventListener("click", (ev) => { const el = ev.target.closest(`${UNIT}, ${EDGE}`); if (el) { from = "source"; stop(el); } });
  svg.addEventListener("keydown", (ev) => {
    const el = ev.target.closest?.(`${UNIT}, ${EDGE}`);
    if (!el) return;
    if (ev.key === "Enter" || ev.key === " ") { ev.preventDefault(); select(el); return; }
    if (!["ArrowUp", "ArrowDown", "ArrowLeft", "ArrowRight", "Home", "End"].includes(ev.key)) return;
    // The arrows are the diagram's here, not the stepper's (← → elsewhere step the stages).
    ev.preventDefault();
    ev.stopPropagation();
    const to = next(el, ev.key);
    if (!to) return;
    stop(to);
    to.focus();
    // A held arrow key repeats many times a second: the panel follows once the focus rests
    // (a large model's chains are asked of the server).
    clearTimeout(resting);
    if (ev.repeat) resting = setTimeout(() => select(to), 150);
    else select(to);
  });
}

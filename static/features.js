// Feature inputs on the Train form: TensorFlow Playground's seven (x₁, x₂, x₁², x₂², x₁x₂, sin x₁,
// sin x₂) as checkboxes, for a table of two columns. The ticked ones go to /api/train as
// `features`, in `--features`'s grammar over the table's own column names; the server computes
// them (this file computes no number) and the diagram names its input units by them.

const $ = (id) => document.getElementById(id);

// Each checkbox: the item over columns a and b, and its label.
const SEVEN = [
  { item: (a) => a, label: (a) => a },
  { item: (a, b) => b, label: (a, b) => b },
  { item: (a) => `${a}^2`, label: (a) => `${a}²` },
  { item: (a, b) => `${b}^2`, label: (a, b) => `${b}²` },
  { item: (a, b) => `${a}*${b}`, label: (a, b) => `${a}·${b}` },
  { item: (a) => `sin(${a})`, label: (a) => `sin ${a}` },
  { item: (a, b) => `sin(${b})`, label: (a, b) => `sin ${b}` },
];

let columns = [];

// A column's name in the grammar: quoted when it holds a space or one of , * ^ ( ) ".
function term(name) {
  return /[\s,*^()"]/.test(name) ? `"${name}"` : name;
}

// x1 → x₁: a name of letters then digits takes the digits as a subscript, as the diagram writes it.
function subscripted(name) {
  const m = /^([A-Za-z]+)(\d+)$/.exec(name);
  return m ? m[1] + [...m[2]].map((d) => String.fromCharCode(0x2080 + Number(d))).join("") : name;
}

// The checkboxes for a table's columns: shown for two columns, the first two ticked (the columns
// as they are); hidden otherwise.
export function showFeatures(tableColumns) {
  columns = tableColumns;
  const box = $("t-features");
  box.hidden = columns.length !== 2;
  if (box.hidden) return;
  const [a, b] = columns.map(term);
  const [la, lb] = columns.map(subscripted);
  box.querySelector(".choices").innerHTML = SEVEN.map((f, i) => {
    const item = f.item(a, b);
    return `<label><input type="checkbox" data-item="${item.replace(/"/g, "&quot;")}"${i < 2 ? " checked" : ""}> ${f.label(la, lb)}</label>`;
  }).join("");
}

// The ticked features as `--features`'s list; undefined for the columns as they are (or no box).
export function chosenFeatures() {
  const box = $("t-features");
  if (box.hidden) return undefined;
  const items = [...box.querySelectorAll("input:checked")].map((c) => c.dataset.item);
  const plain = columns.map(term);
  if (items.length === plain.length && items.every((it, i) => it === plain[i])) return undefined;
  return items.join(",");
}

// Ticks exactly the items of `list` (a `features` value, from a shared link).
export function setChosen(list) {
  const want = new Set((list ?? "").split(",").filter(Boolean));
  [...$("t-features").querySelectorAll("input")].forEach((c, i) => (c.checked = want.size ? want.has(c.dataset.item) : i < 2));
}

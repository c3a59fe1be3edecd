// The menus of names (losses, optimizers, activations, data sets): the page writes none itself.
// The server puts the library's lists in the page (`<script id="choices">`, the same JSON as
// GET /api/choices), so they are filled before anything reads a menu, without a request.
// A menu is `<select data-choices="LIST">`; an option written in the HTML (a "none chosen"
// choice such as value "") stays first and chosen; otherwise the menu starts at the library's
// default for that list, if it has one, else at the list's first name.

export function fillMenus() {
  const choices = JSON.parse(document.getElementById("choices").textContent);
  for (const select of document.querySelectorAll("select[data-choices]")) {
    const list = select.dataset.choices;
    const names = choices[list];
    if (!Array.isArray(names)) throw new Error(`menu #${select.id}: no list "${list}" in the choices`);
    const start = select.options.length > 0 ? null : choices.defaults?.[list];
    for (const name of names) select.add(new Option(name, name, name === start, name === start));
  }
}

// The site's data tables (<table class="data"> inside a .table-wrap), built one way. At phone width the CSS
// keeps the first column and the key column (the row's name, class "key") in view while the rest scrolls
// sideways (static/css/style.css).

// content: a string (set as text), a Node, or {text | nodes, className, title}.
function cell(tag, content) {
  const node = document.createElement(tag);
  if (content instanceof Node) {
    node.append(content);
  } else if (content !== null && typeof content === "object") {
    if (content.nodes) node.append(...content.nodes);
    else node.textContent = content.text ?? "";
    if (content.className) node.className = content.className;
    if (content.title) node.title = content.title;
  } else {
    node.textContent = String(content);
  }
  return node;
}

// Fills `table` with a header row and body rows.
// head: [content]; rows: [[content] | {cells: [content], className, data: {name: value}}].
// options: key — the index of the key column (marked "key" in every row, kept in view beside the first);
// rowHeaders — the first cell of each body row is a <th scope="row">.
export function fillTable(table, head, rows, { key = -1, rowHeaders = false } = {}) {
  const headRow = document.createElement("tr");
  head.forEach((content, i) => {
    const th = cell("th", content);
    th.scope = "col";
    if (i === key) th.classList.add("key");
    headRow.append(th);
  });
  const body = document.createElement("tbody");
  for (const row of rows) {
    const { cells, className = "", data = {} } = Array.isArray(row) ? { cells: row } : row;
    const tr = document.createElement("tr");
    if (className) tr.className = className;
    Object.assign(tr.dataset, data);
    cells.forEach((content, i) => {
      const header = rowHeaders && i === 0;
      const td = cell(header ? "th" : "td", content);
      if (header) td.scope = "row";
      if (i === key) td.classList.add("key");
      tr.append(td);
    });
    body.append(tr);
  }
  const thead = document.createElement("thead");
  thead.append(headRow);
  table.replaceChildren(thead, body);
}

// The first cell of a chooser table: a button with the row's number that calls onChoose(i).
export function rowButton(i, { label, pressed, disabled, onChoose }) {
  const button = document.createElement("button");
  button.type = "button";
  button.className = "row-button";
  button.textContent = String(i);
  button.setAttribute("aria-label", label);
  button.setAttribute("aria-pressed", String(pressed));
  button.disabled = disabled;
  button.addEventListener("click", () => onChoose(i));
  return button;
}

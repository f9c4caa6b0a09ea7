// A box that scrolls (a wide table or formula on a phone) must be reachable by keyboard, or its hidden part
// cannot be read without a mouse (WCAG 2.1.1). Such a box takes a Tab stop only while it actually scrolls, as
// a region named by its section's heading.

const BOXES = ".table-wrap, .scroll-x, .formula, .svg-wrap, .pg-canvas-wrap";

function update(box) {
  const scrolls = box.scrollWidth > box.clientWidth + 1 || box.scrollHeight > box.clientHeight + 1;
  if (scrolls === (box.getAttribute("tabindex") === "0")) return;
  if (!scrolls) {
    for (const name of ["tabindex", "role", "aria-labelledby"]) box.removeAttribute(name);
    return;
  }
  box.tabIndex = 0;
  const heading = box.closest("section[aria-labelledby]")?.getAttribute("aria-labelledby");
  if (heading) {
    box.setAttribute("role", "region");
    box.setAttribute("aria-labelledby", heading);
  }
}

// Watches the box and its children for size changes (a redrawn table, a longer formula, a rotated phone).
function watch(box) {
  const sizes = new ResizeObserver(() => update(box));
  const observeAll = () => {
    sizes.disconnect();
    sizes.observe(box);
    for (const child of box.children) sizes.observe(child);
  };
  new MutationObserver(observeAll).observe(box, { childList: true, characterData: true, subtree: true });
  observeAll();
}

export function keyboardScrollBoxes(root = document) {
  for (const box of root.querySelectorAll(BOXES)) watch(box);
}

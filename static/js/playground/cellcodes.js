// A grid cell's classes as a small number, so that a grid's cells are two typed arrays (values and codes)
// filled in one loop, not an object per cell: a 4-channel 32×32 layer has 8,700 cells, and their objects kept
// the garbage collector busy during re-renders. An input cell's code is its kind plus UNREAD when no window
// reads it; an output cell's is OUTPUT plus LATER when it is not computed yet, plus OPPAD in output_padding.
export const PLAIN = 0;
export const UNREAD = 1;
export const PAD = 2;
export const COPY = 4;
export const INSERTED = 6;
export const PAST = 8;
export const OUTPUT = 9;
export const OPPAD = 1;
export const LATER = 2;

// The CSS classes of each code (the SVG cells' classes, gridcanvas.js paints the same meanings).
export const CELL_CLASSES = [
  "",
  " unread",
  "pad",
  "pad unread",
  "copy",
  "copy unread",
  "ins",
  "ins unread",
  "past",
  "",
  " oppad",
  "later",
  "later oppad",
];

// A cell without a colour of its own: padding with zeros (or −∞), and a ceil_mode window's overhang.
export const isBlank = (code) => code === PAD || code === PAD + UNREAD || code === PAST;

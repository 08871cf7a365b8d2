// Small helpers shared by the player's pieces.  Every string that came from a
// scenario (titles, notes, file names, why) passes through esc() before it
// becomes HTML: a `%note <script>` must read as text, never run.

function esc(value) {
  return String(value).replace(/[&<>"']/g, (c) => ({
    "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;",
  })[c])
}

function clamp(v, lo, hi) {
  return Math.max(lo, Math.min(hi, v))
}

function lerp(a, b, t) {
  return a + (b - a) * t
}

// Ease in and out, so a travelling page accelerates off one layer and settles
// on the next instead of sliding at constant speed.
function ease(t) {
  t = clamp(t, 0, 1)
  return t < 0.5 ? 2 * t * t : 1 - Math.pow(-2 * t + 2, 2) / 2
}

// n flashes over t in [0, 1]: 0 -> 1 -> 0, n times.
function pulse(t, n) {
  return 0.5 - 0.5 * Math.cos(clamp(t, 0, 1) * n * 2 * Math.PI)
}

// Columns of the rows [lo0, hi0) + [lo1, hi1) + ... of a store, in that order,
// as fresh arrays of the store's own types.
function gather(data, names, segs) {
  let count = 0
  for (let k = 0; k < segs.length; k += 2) count += segs[k + 1] - segs[k]
  const out = {}
  for (const name of names) {
    const column = data[name]
    const copy = ArrayBuffer.isView(column) ? new column.constructor(count) : new Array(count)
    let at = 0
    for (let k = 0; k < segs.length; k += 2) {
      for (let i = segs[k]; i < segs[k + 1]; i++) copy[at++] = column[i]
    }
    out[name] = copy
  }
  return out
}

function columnNames(source) {
  return Object.keys(source.data)
}

function reducedMotion() {
  return typeof window.matchMedia === "function" &&
    window.matchMedia("(prefers-reduced-motion: reduce)").matches
}

// True if a key event is meant for something else: a text box, a select, the
// slider's own handle (which steps itself on arrow keys).
function keyBelongsElsewhere(event) {
  for (const el of event.composedPath()) {
    if (!(el instanceof Element)) continue
    const tag = el.tagName
    if (tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || el.isContentEditable) {
      return true
    }
    if (el.classList && el.classList.contains("noUi-handle")) return true
  }
  return false
}

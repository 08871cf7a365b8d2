// Hover words, made from a glyph's own columns when it is drawn: the tables
// (mapviz/render/tables.py) send numbers, not a sentence per glyph, so a file
// of 10,000 extents does not carry 10,000 sentences.  A glyph whose words can't
// be derived (a lane, a refused process's arrow) brings its own tip.

const UNITS = ["KiB", "MiB", "GiB", "TiB", "PiB", "EiB"]

// Bytes as a person reads them: "64 KiB", "1.25 MiB", "4097" (exact, never rounded).
function humanBytes(n) {
  if (n === 0) return "0"
  if (n % 1024 !== 0) return String(n)
  let value = n / 1024, unit = 0
  while (unit < UNITS.length - 1 && value >= 1024 && value % 1 === 0) { value /= 1024; unit++ }
  return `${Number.isInteger(value) ? value : +value.toFixed(3)} ${UNITS[unit]}`
}

function span(a, b) {
  return `[${humanBytes(a)}, ${humanBytes(b)})`
}

function fileName(files, i) {
  return i >= 0 && i < files.length ? files[i] : "?"
}

// The words for glyph i of a drawn quad table d; ctx: {files, layer, label, words}.
function quadTip(d, i, ctx) {
  const state = ctx.words.states[d.state[i]] || ""
  const layer = ctx.layer[d.band[i]]
  const file = fileName(ctx.files, d.file[i])
  const guard = d.pinned[i] ? ` — ${ctx.words.protections[d.pinned[i]]}` : ""
  const shared = d.shared[i] ? ", shared" : ""
  if (layer === "file") {
    const where = d.d0[i] >= 0 ? ` -> device ${span(d.d0[i], d.d1[i])}` : ""
    return `${file} ${span(d.f0[i], d.f1[i])}: ${state}${shared}${where}${guard}`
  }
  if (layer === "cache") {
    const frames = d.c1[i] - d.c0[i] === 1 ? `frame ${d.c0[i]}` : `frames ${d.c0[i]}..${d.c1[i] - 1}`
    return `${file} ${span(d.f0[i], d.f1[i])} in the page cache, ${frames}: ${state}`
  }
  if (layer === "virtual") {
    const to = d.c0[i] >= 0 ? ` -> page-cache frames ${d.c0[i]}..${d.c1[i] - 1}`
      : d.d0[i] >= 0 ? ` -> device ${span(d.d0[i], d.d1[i])} (DAX)` : ""
    const where = d.f0[i] >= 0 ? ` at ${file} ${span(d.f0[i], d.f1[i])}` : ""
    return `${ctx.label[d.band[i]]}${where}: ${state}${to}${guard}`
  }
  if (layer === "device") {
    const owner = d.file[i] >= 0 ? `, blocks of ${file}${shared}` : ""
    return `device ${span(d.d0[i], d.d1[i])}: ${state}${owner}${guard}`
  }
  return state
}

// The words for connector i of a drawn link table d.
function linkTip(d, i, ctx) {
  const file = fileName(ctx.files, d.file[i])
  const kind = d.kind[i]
  if (kind === "extent") return `${file} ${span(d.f0[i], d.f1[i])} -> device ${span(d.d0[i], d.d1[i])}`
  if (kind === "vma") return `a mapping of ${file} ${span(d.f0[i], d.f1[i])}`
  if (kind === "entry") {
    return d.d0[i] >= 0 ? `page-table entries of ${file} ${span(d.f0[i], d.f1[i])} -> device ${span(d.d0[i], d.d1[i])} (DAX)`
      : `page-table entries of ${file} ${span(d.f0[i], d.f1[i])} -> its page cache`
  }
  return kind
}

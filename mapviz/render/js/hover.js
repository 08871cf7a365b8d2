// Linked highlighting: hovering (or tapping) a glyph in one layer outlines
// every glyph and connector that stands for the same bytes in the others.
// Two glyphs are counterparts when their file ranges overlap in the same
// file, or their device ranges overlap, or their frame ranges overlap
// (ranges are [lo, hi); -1 means "not in that layer").

function overlaps(a0, a1, b0, b1) {
  return a0 >= 0 && b0 >= 0 && a0 < b1 && b0 < a1
}

function rangesOf(d, i) {
  return {file: d.file[i], f0: d.f0[i], f1: d.f1[i], d0: d.d0[i], d1: d.d1[i], c0: d.c0[i], c1: d.c1[i]}
}

function related(r, d, j) {
  return (r.file >= 0 && d.file[j] === r.file && overlaps(r.f0, r.f1, d.f0[j], d.f1[j])) ||
    overlaps(r.d0, r.d1, d.d0[j], d.d1[j]) ||
    overlaps(r.c0, r.c1, d.c0[j], d.c1[j])
}

// Fill the highlight sources for the ranges r (null clears them).
function highlight(m, C, r) {
  const q = {x0: [], x1: [], y0: [], y1: []}
  const p = {xs: [], ys: []}
  if (r !== null) {
    const b = m.base.data
    for (let j = 0; j < b.x0.length; j++) {
      if (related(r, b, j)) {
        q.x0.push(b.x0[j]); q.x1.push(Math.max(b.x1[j], b.x0[j] + C.minWidth))
        q.y0.push(b.y0[j]); q.y1.push(b.y1[j])
      }
    }
    const l = m.links.data
    for (let j = 0; j < l.xs.length; j++) {
      if (related(r, l, j)) { p.xs.push(l.xs[j]); p.ys.push(l.ys[j]) }
    }
  }
  m.hlq.data = q
  m.hll.data = p
}

// The ranges under the pointer: the top-most hit glyph, else a connector.
function hoveredRanges(m, hits) {
  const qi = hits.quads
  if (qi !== undefined && qi.length > 0) return rangesOf(m.base.data, qi[qi.length - 1])
  const li = hits.links
  if (li !== undefined && li.length > 0) return rangesOf(m.links.data, li[li.length - 1])
  return null
}

// Drawing animation beats into the overlay sources.
//
// Only the overlay sources change between animation frames: they are drawn by
// renderers at level "overlay", which BokehJS repaints on their own canvas
// layer without repainting the static base (STACK.md §6).  An Overlay
// collects one frame's worth of rows; flush() hands them over in one go.

function Overlay() {
  this.q = {x0: [], x1: [], y0: [], y1: [], fill: [], fa: [], line: [], lw: [], la: []}
  this.p = {xs: [], ys: [], fill: [], fa: []}
  this.l = {xs: [], ys: [], color: [], width: [], alpha: []}
  this.t = {x: [], y: [], text: [], color: [], bg: [], ba: [], align: [], size: [], alpha: []}
}

Overlay.prototype.quad = function (x0, x1, y0, y1, fill, fa, line, lw, la) {
  const q = this.q
  q.x0.push(x0); q.x1.push(x1); q.y0.push(y0); q.y1.push(y1)
  q.fill.push(fill); q.fa.push(fa); q.line.push(line); q.lw.push(lw); q.la.push(la)
}

Overlay.prototype.patch = function (xs, ys, fill, fa) {
  this.p.xs.push(xs); this.p.ys.push(ys); this.p.fill.push(fill); this.p.fa.push(fa)
}

Overlay.prototype.line = function (xs, ys, color, width, alpha) {
  const l = this.l
  l.xs.push(xs); l.ys.push(ys); l.color.push(color); l.width.push(width); l.alpha.push(alpha)
}

// A label in a pill: bg null for bare text.
Overlay.prototype.text = function (x, y, text, color, bg, align, size, alpha) {
  const t = this.t
  t.x.push(x); t.y.push(y); t.text.push(text); t.color.push(color)
  t.bg.push(bg === null ? "#000000" : bg); t.ba.push(bg === null ? 0 : alpha)
  t.align.push(align); t.size.push(size); t.alpha.push(alpha)
}

Overlay.prototype.flush = function (m) {
  m.ovq.data = this.q
  m.ovp.data = this.p
  m.ovl.data = this.l
  m.ovt.data = this.t
}

// Words shown on a flash, so a learner can name what just happened.
const CAPTION = {
  alloc: "alloc", free: "free", convert: "convert", cow: "copy-on-write", share: "share",
  unshare: "unshare", remap: "remap", writeback: "writeback", dirty: "dirty",
  delalloc: "delalloc", cache_fill: "cache fill", cache_drop: "evict", map_page: "map page",
  zap_page: "zap PTEs", write_protect: "write-protect", size_change: "new size",
  zero: "zero", mmap: "mmap", munmap: "munmap", metadata_sync: "metadata made durable",
  swapoff: "swapoff", flags: "chattr", open: "open", close: "close", fault: "fault",
  seal: "SEALED: block map pinned", unseal: "unsealed", swapon: "PINNED: active swapfile",
  lease: "layout lease", lease_release: "lease released", lease_break: "lease broken: SIGIO",
  revoke: "REVOKED", time: "wait",
}

const TRAVEL = {fault: true, map_page: true}
const LOCK = {seal: true, swapon: true, lease: true}
const STRIKE = {sigbus: true, sigsegv: true}
// Kinds that leave a mark for the rest of the step (and when jumping to it).
const LASTING = {refuse: true, sigbus: true, sigsegv: true, revoke: true, lease_break: true}

function labelX(place, C) {
  // Centre on the range, but keep a label's middle far enough from the plot's
  // edges that it is not cut off.
  return clamp((place.x0 + place.x1) / 2, C.edge, 1000 - C.edge)
}

function mid(place) {
  return (place.y0 + place.y1) / 2
}

function pill(o, C, place, text, colour, alpha, big) {
  o.text(labelX(place, C), mid(place), text, C.ink[colour] || "#FFFFFF", colour, "center",
         big ? C.bigSize : C.smallSize, alpha)
}

// p: progress of the beat in [0, 1].
function drawBeat(o, beat, p, C) {
  const colour = C.event[beat.kind] || C.fg
  if (TRAVEL[beat.kind]) return drawTravel(o, beat, p, C, colour)
  if (LOCK[beat.kind]) return drawLock(o, beat, p, C, colour)
  if (STRIKE[beat.kind]) return drawStrike(o, beat, p, C)
  if (beat.kind === "refuse") return drawRefuse(o, beat, p, C)
  if (beat.kind === "revoke") return drawRevoke(o, beat, p, C)
  if (beat.kind === "time" && beat.until >= 0) return drawCountdown(o, beat, p, C)
  if (beat.kind === "unseal" || beat.kind === "lease_release") return drawUnlock(o, beat, p, C, colour)
  return drawFlash(o, beat, p, C, colour)
}

function drawFlash(o, beat, p, C, colour) {
  const a = 0.15 + 0.5 * pulse(p, 2)
  for (const pl of beat.places) {
    o.quad(pl.x0, Math.max(pl.x1, pl.x0 + C.minWidth), pl.y0, pl.y1, colour, a, colour,
           C.lw * 2, 1 - 0.4 * p)
  }
  const first = beat.places[0]
  if (first !== undefined) pill(o, C, first, CAPTION[beat.kind] || beat.kind, colour, Math.min(1, 4 * p) * (1 - 0.3 * p), false)
}

// A fault (or a page being mapped) travels down the layers: a token the size
// of the range slides from the virtual band through the file offset to the
// frame or block, leaving a ribbon behind it.
function drawTravel(o, beat, p, C, colour) {
  const pl = beat.places
  if (pl.length === 1) return drawFlash(o, beat, p, C, colour)
  const legs = pl.length - 1
  const at = clamp(p * 1.15, 0, 1) * legs  // the last 15% holds the finished path
  const leg = Math.min(Math.floor(at), legs - 1)
  const u = ease(at - leg)
  for (let i = 0; i <= leg; i++) {
    const a = pl[i], b = pl[i + 1]
    const reach = i < leg ? 1 : u
    // ribbon from the bottom of a to the top of b, as far as the token got
    const by = lerp(a.y0, b.y1, reach)
    const bx0 = lerp(a.x0, b.x0, reach), bx1 = lerp(a.x1, b.x1, reach)
    o.patch([a.x0, a.x1, bx1, bx0], [a.y0, a.y0, by, by], colour, 0.35)
    o.quad(a.x0, Math.max(a.x1, a.x0 + C.minWidth), a.y0, a.y1, colour, 0.45, colour, C.lw * 2, 1)
  }
  const a = pl[leg], b = pl[leg + 1]
  const x0 = lerp(a.x0, b.x0, u), x1 = lerp(a.x1, b.x1, u)
  const h = (a.y1 - a.y0) * 0.9
  const yc = lerp(mid(a), mid(b), u)
  o.quad(x0, Math.max(x1, x0 + C.minWidth), yc - h / 2, yc + h / 2, colour, 0.85, C.fg, C.lw * 2, 1)
  if (at >= legs) o.quad(b.x0, Math.max(b.x1, b.x0 + C.minWidth), b.y0, b.y1, colour, 0.45, colour, C.lw * 2, 1)
  pill(o, C, pl[0], beat.count > 1 ? `${CAPTION[beat.kind]} ×${beat.count}` : CAPTION[beat.kind],
       colour, Math.min(1, 5 * p), false)
}

// A seal locks a range: a frame closes in on it and stays shut.
function drawLock(o, beat, p, C, colour) {
  const e = ease(p * 1.3)
  for (const pl of beat.places) {
    const dx = (1 - e) * 40, dy = (1 - e) * 0.5
    o.quad(pl.x0 - dx, Math.max(pl.x1, pl.x0 + C.minWidth) + dx, pl.y0 - dy, pl.y1 + dy,
           colour, 0.3 * e, colour, C.lw * 4, 0.4 + 0.6 * e)
  }
  const first = beat.places[0]
  if (first !== undefined && p > 0.35) pill(o, C, first, CAPTION[beat.kind], colour, Math.min(1, (p - 0.35) * 4), true)
}

function drawUnlock(o, beat, p, C, colour) {
  const e = ease(p)
  for (const pl of beat.places) {
    const dx = e * 40, dy = e * 0.5
    o.quad(pl.x0 - dx, pl.x1 + dx, pl.y0 - dy, pl.y1 + dy, colour, 0, colour, C.lw * 3, 1 - e)
  }
  const first = beat.places[0]
  if (first !== undefined) pill(o, C, first, CAPTION[beat.kind], colour, 1 - 0.6 * e, false)
}

// ETXTBSY (or another errno): the refused range flashes red three times, a
// cross is struck through it and the errno stays on it.
function drawRefuse(o, beat, p, C) {
  const red = C.event.refuse
  for (const pl of beat.places) {
    const x1 = Math.max(pl.x1, pl.x0 + C.minWidth)
    o.quad(pl.x0, x1, pl.y0, pl.y1, red, 0.15 + 0.55 * pulse(Math.min(1, p * 1.4), 3), red, C.lw * 4, 1)
    const s = ease(Math.min(1, p * 2))
    o.line([pl.x0, lerp(pl.x0, x1, s)], [pl.y1, lerp(pl.y1, pl.y0, s)], red, C.lw * 3, 1)
    o.line([x1, lerp(x1, pl.x0, s)], [pl.y1, lerp(pl.y1, pl.y0, s)], red, C.lw * 3, 1)
  }
  const first = beat.places[0]
  if (first !== undefined) pill(o, C, first, beat.result || "refused", red, Math.min(1, 6 * p), true)
}

// SIGBUS: a bolt comes down onto the faulting page, which flashes red.
function drawStrike(o, beat, p, C) {
  const red = C.event.sigbus
  for (const pl of beat.places) {
    const x1 = Math.max(pl.x1, pl.x0 + C.minWidth)
    const cx = (pl.x0 + x1) / 2
    const grow = ease(Math.min(1, p * 2.5))
    const top = pl.y1 + 0.55
    const pts = [[cx - 6, top], [cx + 5, top - 0.28], [cx - 4, top - 0.36], [cx + 3, pl.y1 - 0.05]]
    const n = Math.max(2, Math.ceil(grow * pts.length))
    o.line(pts.slice(0, n).map((q) => q[0]), pts.slice(0, n).map((q) => q[1]), red, C.lw * 4, 1)
    const hit = p > 0.4 ? 0.3 + 0.6 * pulse((p - 0.4) / 0.6, 2) : 0
    o.quad(pl.x0, x1, pl.y0, pl.y1, red, hit, red, C.lw * 4, p > 0.4 ? 1 : 0)
  }
  const first = beat.places[0]
  if (first !== undefined && p > 0.4) pill(o, C, first, beat.result || "SIGBUS", red, 1, true)
}

// A revoke tears the mapping: a jagged cut runs across it.
function drawRevoke(o, beat, p, C) {
  const red = C.event.revoke
  for (const pl of beat.places) {
    if (C.layer[pl.band] !== "virtual") {
      o.quad(pl.x0, pl.x1, pl.y0, pl.y1, red, 0.2 * pulse(p, 2), red, C.lw * 2, 0.7)
      continue
    }
    const reach = lerp(pl.x0, pl.x1, ease(Math.min(1, p * 1.5)))
    const xs = [], ys = []
    const teeth = 24
    for (let i = 0; i <= teeth; i++) {
      const x = lerp(pl.x0, pl.x1, i / teeth)
      if (x > reach) break
      xs.push(x)
      ys.push(mid(pl) + (i % 2 ? 0.22 : -0.22))
    }
    if (xs.length > 1) o.line(xs, ys, red, C.lw * 3, 1)
    o.quad(pl.x0, pl.x1, pl.y0, pl.y1, red, 0.25 * pulse(p, 1), red, C.lw * 2, 1)
  }
  const first = beat.places.find((pl) => C.layer[pl.band] === "virtual") || beat.places[0]
  if (first !== undefined && p > 0.3) pill(o, C, first, "REVOKED", red, 1, true)
}

// The lease-break wait: seconds count down while a bar shrinks.
function drawCountdown(o, beat, p, C) {
  const orange = C.event.lease_break
  const total = Math.max(0, beat.until - beat.clock0)
  const left = Math.ceil(total * (1 - p))
  for (const pl of beat.places) {
    const w = (pl.x1 - pl.x0) * (1 - p)
    o.quad(pl.x0, pl.x0 + w, pl.y0, pl.y0 + (pl.y1 - pl.y0) * 0.25, orange, 0.85, orange, C.lw, 1)
  }
  const first = beat.places[0]
  if (first !== undefined) pill(o, C, first, `${beat.result || "wait"}: ${left} s left`, orange, 1, true)
}

// What a finished beat leaves behind for the rest of the step.
function drawMark(o, beat, C) {
  const first = beat.places[0]
  if (first === undefined) return
  if (beat.kind === "refuse") {
    const red = C.event.refuse
    for (const pl of beat.places) {
      const x1 = Math.max(pl.x1, pl.x0 + C.minWidth)
      o.quad(pl.x0, x1, pl.y0, pl.y1, red, 0.2, red, C.lw * 4, 1)
      o.line([pl.x0, x1], [pl.y1, pl.y0], red, C.lw * 2, 0.8)
      o.line([x1, pl.x0], [pl.y1, pl.y0], red, C.lw * 2, 0.8)
    }
    pill(o, C, first, beat.result || "refused", red, 1, true)
  } else if (STRIKE[beat.kind]) {
    const red = C.event.sigbus
    for (const pl of beat.places) {
      const x1 = Math.max(pl.x1, pl.x0 + C.minWidth)
      o.quad(pl.x0, x1, pl.y0, pl.y1, red, 0.45, red, C.lw * 4, 1)
    }
    pill(o, C, first, beat.result || "SIGBUS", red, 1, true)
  } else if (beat.kind === "revoke") {
    const red = C.event.revoke
    const pl = beat.places.find((q) => C.layer[q.band] === "virtual") || first
    pill(o, C, pl, "REVOKED", red, 1, true)
  } else if (beat.kind === "lease_break") {
    const orange = C.event.lease_break
    for (const pl of beat.places) {
      o.quad(pl.x0, Math.max(pl.x1, pl.x0 + C.minWidth), pl.y0, pl.y1, orange, 0, orange, C.lw * 3, 1)
    }
  }
}

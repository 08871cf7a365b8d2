// The player: which step is shown, playing and stepping, keyboard, hover.
//
// State lives in the object createPlayer returns, which main.js keeps on the
// plot model of *this* document: two views in one notebook each get their own
// player (STACK.md pitfall 8).  It only ever mutates models built with
// syncable=False, so nothing it does is echoed to a kernel or server.
//
// A step is shown in two phases.  While it animates, the base sources still
// hold the frame before it and the beats play on the overlay; when the last
// beat ends, the base jumps to the step's frame and what a beat leaves behind
// (an errno on the refused range, SIGBUS on the page) stays on the overlay.
//
// In a notebook the kernel also drives it, through the channel sources
// (mapviz/render/channel.py): a request moves it, and it reports every step it
// settles on.  A request may set a *limit*: the player never shows a step past
// it (predict-then-reveal holds a result back until the learner has guessed);
// trying to move past it reports the step wanted instead.

function createPlayer(m, cfg, index) {
  const C = Object.assign({}, cfg.draw)
  const P = {
    frame: 0, anim: null, playing: false, speed: cfg.speeds[cfg.speed], settled: true,
    active: true, hits: {}, hitKey: "", selected: null, hold: null, raf: null, known: 0,
    baseKey: "", logAt: Infinity, limit: Infinity, seq: null, reported: "", asks: 0,
  }

  function total() {
    return m.story.data.frame.length - 1
  }

  // The last step that may be shown (see the limit above).
  function top() {
    return Math.min(total(), P.limit)
  }

  // Tell the kernel where the player is (only a notebook view has a status source).
  // want: the step the learner asked for beyond the limit, or -1.
  // req: the last request taken, so the kernel can tell a report that answers
  // its latest request from one that crossed it on the way.
  function report(want) {
    if (m.status == null) return
    const key = P.frame + "," + want + "," + P.seq
    if (want < 0 && key === P.reported) return
    P.reported = key
    m.status.data = {seq: [++P.asks], frame: [P.frame], want: [want], req: [P.seq]}
  }

  function readBands() {
    const b = m.bands.data
    C.y0 = {}; C.y1 = {}; C.layer = {}
    for (let i = 0; i < b.index.length; i++) {
      C.y0[b.index[i]] = b.y0[i]; C.y1[b.index[i]] = b.y1[i]; C.layer[b.index[i]] = b.layer[i]
    }
  }

  function beatsOf(f) {
    const d = m.beats.data, s = m.story.data
    const out = []
    for (let i = s.blo[f]; i < s.bhi[f]; i++) {
      let b = out[out.length - 1]
      if (b === undefined || b.index !== d.beat[i]) {
        b = {index: d.beat[i], kind: d.kind[i], t0: d.t0[i], dur: d.dur[i], text: d.text[i],
             result: d.result[i], count: d.count[i], until: d.until[i], clock0: d.clock0[i],
             places: []}
        out.push(b)
      }
      const band = d.band[i]
      b.places.push({band, x0: d.x0[i], x1: d.x1[i], y0: C.y0[band], y1: C.y1[band]})
    }
    return out
  }

  function setBase(f) {
    const s = m.story.data
    const key = [s.qsegs[f].join(" "), s.lsegs[f].join(" "), s.glo[f], s.ghi[f]].join(",")
    if (key === P.baseKey) return  // same glyphs (a refused step): skip the full repaint
    P.baseKey = key
    m.base.selected.indices = []
    P.selected = null
    const ctx = tipContext()
    const base = gather(m.store_q.data, cfg.stores.store_q, s.qsegs[f])
    base.edge = Array.from(base.ei, (i) => cfg.colours[i])
    base.tip = Array.from(base.tip, (tip, i) => tip || quadTip(base, i, ctx))
    m.base.data = pick(base, cfg.drawn.base)
    setHatches(base)
    m.links.data = linksOf(gather(m.store_l.data, cfg.stores.store_l, s.lsegs[f]), ctx)
    nameLanes(placeBadges(f))
    P.hits = {}; P.hitKey = ""
    highlight(m, C, null)
  }

  // Lane names, what protects a lane, the owners on device blocks: placed by Python.
  // Words with a room (an owner's name on its blocks) are drawn only where they fit
  // in this theme's type at the plot's present width and zoom; the rest are in tips.
  // Returns the bands whose names the lanes axis shows.
  function placeBadges(f) {
    const g = m.store_g.data, s = m.story.data
    const badges = {x: [], y: [], text: [], align: [], baseline: [], colour: [], bg: [], ba: []}
    const named = new Set()
    const pxPerX = plotPxPerX()
    for (let i = s.glo[f]; i < s.ghi[f]; i++) {
      if (g.kind[i] === "label") { named.add(g.band[i]); continue }  // on the lanes axis
      if (g.room[i] > 0 && textPx(g.text[i]) > g.room[i] * pxPerX) continue
      const flag = g.kind[i] === "flag"  // backed, so it reads over the glyphs under it
      badges.x.push(g.x[i]); badges.y.push(g.y[i]); badges.text.push(g.text[i])
      badges.align.push(g.align[i]); badges.baseline.push("middle")
      badges.colour.push(g.colour[i]); badges.bg.push(C.bg); badges.ba.push(flag ? 0.85 : 0)
    }
    m.badges.data = badges
    P.badgesAt = [f, pxPerX]
    return named
  }

  // The width of words in the badges' type, with their padding and a little air.
  let measure = null
  function textPx(text) {
    if (measure === null) {
      measure = document.createElement("canvas").getContext("2d")
      measure.font = C.badgeFont
    }
    return measure.measureText(text).width + C.badgePad
  }

  // Pixels per x unit; 0 until the plot has been laid out (then no owner name fits:
  // they come with the width, see refitBadges).
  function plotPxPerX() {
    const range = m.plot.x_range
    return (m.plot.inner_width || 0) / Math.max(range.end - range.start, 1e-9)
  }

  // The plot was zoomed, panned or resized: owner names may fit now, or no longer.
  function refitBadges() {
    if (P.badgesAt !== undefined && plotPxPerX() !== P.badgesAt[1]) placeBadges(P.badgesAt[0])
  }

  // The lanes axis names the lanes that exist in this frame and no other.
  function nameLanes(named) {
    const axis = m.lanes
    if (axis == null) return
    if (P.laneNames === undefined) P.laneNames = new Map(axis.major_label_overrides)
    const b = m.bands.data, shown = new Map()
    let i = 0
    for (const [tick, label] of P.laneNames) {
      shown.set(tick, named.has(b.index[i]) ? label : "")
      i++
    }
    axis.major_label_overrides = shown
  }

  // What hover words need beside a glyph's columns: file names, lanes, state words.
  function tipContext() {
    const b = m.bands.data
    const layer = {}, label = {}
    for (let i = 0; i < b.index.length; i++) { layer[b.index[i]] = b.layer[i]; label[b.index[i]] = b.label[i] }
    return {files: m.files.data.name, layer, label, words: cfg.words}
  }

  // Connector rows as the patches they draw: points from store_p, colours and kinds by name.
  function linksOf(rows, ctx) {
    const pts = m.store_p.data
    rows.xs = Array.from(rows.p0, (p0, i) => pts.x.slice(p0, p0 + rows.pn[i]))
    rows.ys = Array.from(rows.p0, (p0, i) => pts.y.slice(p0, p0 + rows.pn[i]))
    rows.fill = Array.from(rows.ci, (i) => cfg.colours[i])
    rows.kind = Array.from(rows.kind, (k) => cfg.link_kinds[k])
    rows.tip = Array.from(rows.tip, (tip, i) => tip || linkTip(rows, i, ctx))
    return pick(rows, cfg.drawn.links)
  }

  function pick(data, names) {
    const out = {}
    for (const name of names) out[name] = data[name]
    return out
  }

  // Hatches go to one small source per pattern (hatching.py says why).
  function setHatches(base) {
    const groups = m.hatches.map(() => ({x0: [], x1: [], y0: [], y1: []}))
    for (let i = 0; i < base.x0.length; i++) {
      for (const g of [base.hg[i], base.mg[i]]) {
        if (g < 0) continue
        const d = groups[g]
        d.x0.push(base.x0[i]); d.x1.push(base.x1[i]); d.y0.push(base.y0[i]); d.y1.push(base.y1[i])
      }
    }
    m.hatches.forEach((source, g) => {
      // Unchanged empty groups are left alone: every assignment costs a repaint pass.
      if (groups[g].x0.length === 0 && source.data.x0.length === 0) return
      source.data = groups[g]
    })
  }

  function setText(f, upto) {
    m.narration.text = narrationHtml(m.story, f, total(), m.sections, cfg.cite)
    setLog(f, upto === undefined ? Infinity : upto)
    if (m.source != null) {
      m.source.text = sourceHtml(cfg.lines, f > 0 ? m.story.data.line[f] : 0, cfg.summary)
    }
  }

  function setLog(f, upto) {
    P.logAt = upto
    m.log.text = logHtml(m.story, f > 0 ? beatsOf(f) : [], f, upto, m.sections, cfg.cite)
    scrollLog()
  }

  // Keep the newest log entry in view (the Div re-renders asynchronously).  Only
  // the log scrolls: scrollIntoView would scroll the page too.
  function scrollLog() {
    requestAnimationFrame(() => {
      const view = index.find_one(m.log)
      if (view != null) view.el.scrollTop = view.el.scrollHeight
    })
  }

  function setSlider(f) {
    // The slider's own callback compares against P.frame and ignores this.
    if (m.slider.value !== f) m.slider.value = f
  }

  function cancelAnim() {
    if (P.raf !== null) cancelAnimationFrame(P.raf)
    P.raf = null
    P.anim = null
  }

  function settle(f) {
    cancelAnim()
    P.frame = f
    setSlider(f)
    setBase(f)
    const o = new Overlay()
    if (f > 0) for (const b of beatsOf(f)) drawMark(o, b, C)
    o.flush(m)
    setText(f)
    P.settled = true
    report(-1)
  }

  function animateTo(f) {
    const beats = beatsOf(f)
    if (reducedMotion() || beats.length === 0) {
      settle(f)
      afterSettle()
      return
    }
    cancelAnim()
    P.frame = f
    setSlider(f)
    setBase(f - 1)
    setText(f, -1)
    P.settled = false
    const end = Math.max(...beats.map((b) => b.t0 + b.dur))
    P.anim = {f, beats, t: 0, end, last: performance.now()}
    P.raf = requestAnimationFrame(tick)
  }

  function tick(now) {
    const a = P.anim
    if (a === null) return
    a.t += Math.max(0, now - a.last) * P.speed
    a.last = now
    if (a.t >= a.end) {
      settle(a.f)
      afterSettle()
      return
    }
    const upto = drawAt(a.beats, a.t)
    if (upto !== P.logAt) setLog(a.f, upto)  // a few times a step, not every frame
    P.raf = requestAnimationFrame(tick)
  }

  // One animation frame: every beat at time t of its step (finished ones leave
  // their mark).  Returns the index of the latest beat begun.
  function drawAt(beats, t) {
    const o = new Overlay()
    let upto = -1
    for (const b of beats) {
      if (t >= b.t0) upto = b.index
      if (t >= b.t0 + b.dur) drawMark(o, b, C)
      else if (t >= b.t0) drawBeat(o, b, (t - b.t0) / b.dur, C)
    }
    o.flush(m)
    return upto
  }

  // While playing: give the reader time for the narration, then go on.
  function afterSettle() {
    if (!P.playing) return
    if (P.frame >= total()) return setPlaying(false)
    if (P.frame >= top()) {
      setPlaying(false)
      return report(P.frame + 1)
    }
    const note = m.story.data.note[P.frame] || ""
    const hold = (cfg.hold_ms + cfg.hold_per_char_ms * note.length) / P.speed
    P.hold = setTimeout(() => {
      P.hold = null
      if (P.playing) animateTo(P.frame + 1)
    }, hold)
  }

  function setPlaying(on) {
    P.playing = on
    if (P.hold !== null) clearTimeout(P.hold)
    P.hold = null
    m.play.label = on ? cfg.labels.pause : cfg.labels.play
  }

  // One press is always one step: a step still animating is finished at once.
  function forward() {
    if (P.anim !== null) settle(P.anim.f)
    if (P.frame < top()) animateTo(P.frame + 1)
    else if (P.frame < total()) report(P.frame + 1)
  }

  function jump(f) {
    setPlaying(false)
    settle(clamp(f, 0, top()))
  }

  function togglePlay() {
    if (P.playing) return setPlaying(false)
    setPlaying(true)
    if (P.anim !== null) return  // the running step hands over when it ends
    if (P.frame >= total()) settle(0)
    if (P.frame >= top()) {
      setPlaying(false)
      return report(P.frame + 1)
    }
    animateTo(P.frame + 1)
  }

  function refreshHighlight() {
    const r = hoveredRanges(m, P.hits)
    highlight(m, C, r !== null ? r : P.selected)
  }

  function onHover(data) {
    const which = data.renderer === m.rquads ? "quads" : "links"
    const idx = Array.from(data.index.indices)
    P.hits[which] = idx
    const key = (P.hits.quads || []).join(",") + "|" + (P.hits.links || []).join(",")
    if (key === P.hitKey) return
    P.hitKey = key
    refreshHighlight()
  }

  function onSelect() {
    const idx = m.base.selected.indices
    P.selected = idx.length > 0 ? rangesOf(m.base.data, idx[idx.length - 1]) : null
    refreshHighlight()
  }

  // The server appended steps (a command typed live): show the newest one.
  function onStory() {
    readBands()
    P.baseKey = ""
    P.laneNames = undefined  // the lanes axis was given the new view's names
    const n = total()
    if (n > P.known) {
      P.known = n
      settle(Math.min(n - 1, top()))
      if (n <= top()) animateTo(n)
    } else {
      P.known = n
      settle(Math.min(P.frame, top()))
    }
  }

  // The newest request of the kernel (a notebook's step(), seek(), play() ...).
  // Returns the frame it asks to show, or null if it was seen already.
  function takeRequest() {
    const d = m.request.data
    const k = d.seq.length - 1
    if (k < 0 || d.seq[k] === P.seq) return null
    P.seq = d.seq[k]
    P.limit = d.limit[k] < 0 ? Infinity : d.limit[k]
    return {op: d.op[k], frame: clamp(d.frame[k], 0, top())}
  }

  function onRequest() {
    const r = takeRequest()
    if (r === null) return
    if (r.op === "seek") return jump(r.frame)
    if (r.op === "step") {
      setPlaying(false)
      if (r.frame === 0) return jump(0)
      if (P.frame !== r.frame - 1 || !P.settled) settle(r.frame - 1)
      return animateTo(r.frame)
    }
    if (r.op === "play") return P.playing ? undefined : togglePlay()
    if (r.op === "pause") return setPlaying(false)
    if (P.frame > top()) jump(top())  // "limit": only the limit moved
  }

  function mine(event) {
    const view = index.find_one(m.root)
    return view != null && event.composedPath().includes(view.el)
  }

  function onKey(event) {
    if (!alive()) return
    if (!P.active || event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey) return
    if (keyBelongsElsewhere(event)) return
    const action = {
      ArrowRight: forward, ArrowLeft: () => jump(P.frame - 1), " ": togglePlay,
      Home: () => jump(0), End: () => jump(total()),
    }[event.key]
    if (action === undefined) return
    event.preventDefault()
    if (notebook) event.stopPropagation()  // taken: not also a JupyterLab shortcut
    action()
  }

  // With several views in one page, the keys go to the one last clicked.  In a
  // notebook a click anywhere else hands the keys back to JupyterLab.
  function onPointer(event) {
    if (!alive()) return
    if (mine(event)) {
      P.active = true
      window.dispatchEvent(new CustomEvent("mapviz-focus", {detail: P}))
    } else if (notebook) {
      P.active = false
    }
  }

  // A notebook view (it has the kernel's channel) lives in JupyterLab or Voila,
  // which stop key events before they bubble up to window: listen while they
  // travel down instead, and only once the view has been clicked.
  const notebook = m.request != null
  if (notebook) P.active = false
  function onFocus(event) {
    if (!alive()) return
    if (event.detail !== P) P.active = false
  }
  window.addEventListener("keydown", onKey, notebook)
  window.addEventListener("pointerdown", onPointer, true)
  window.addEventListener("mapviz-focus", onFocus)

  // The listeners go with the view: a notebook cell run again replaces its output,
  // and the old player must neither step a view nobody sees nor take the keys.
  function alive() {
    if (P.detached) return false
    const view = index.find_one(m.plot)
    // Out of the page for now (JupyterLab may unmount a cell scrolled away): ignore.
    if (view != null) return view.el.isConnected
    window.removeEventListener("keydown", onKey, notebook)
    window.removeEventListener("pointerdown", onPointer, true)
    window.removeEventListener("mapviz-focus", onFocus)
    setPlaying(false)
    cancelAnim()
    P.detached = true
    return false
  }

  P.dispatch = function (obj, data) {
    if (obj === m.slider) { if (obj.value !== P.frame) jump(obj.value); return }
    if (obj === m.speed) { P.speed = cfg.speeds[obj.active]; return }
    if (obj === m.story) { onStory(); return }
    if (m.request != null && obj === m.request) { onRequest(); return }
    if (obj === m.base.selected) { onSelect(); return }
    if (obj === m.hover) { onHover(data); return }
    if (obj === m.plot || obj === m.plot.x_range) { refitBadges(); return }
    const origin = obj != null ? obj.origin : undefined
    if (origin === m.play) return togglePlay()
    if (origin === m.next) return forward()
    if (origin === m.prev) return jump(P.frame - 1)
    if (origin === m.first) return jump(0)
    if (origin === m.last) return jump(total())
    if (obj != null && obj.event_name === "mouseleave") { P.hits = {}; P.hitKey = ""; refreshHighlight() }
  }

  // Expose a read-only peek for tests and benchmarks (per document, not global).
  P.state = () => ({frame: P.frame, settled: P.settled, playing: P.playing, total: total()})
  // For a page that drives several players from one control of its own (the compare
  // page, mapviz/render/compare_page.py): one animated step on, or straight to step f.
  // Such a page also sets P.active = false, so only its control answers the keys.
  P.forward = forward
  P.jump = jump
  // For benchmarks: how long step f animates (ms at 1x), and one frame of it drawn
  // over whatever the base shows -- exactly the work of one animation frame.
  P.beats = (f) => Math.max(0, ...beatsOf(f).map((b) => b.t0 + b.dur))
  P.overlayAt = (f, t) => drawAt(beatsOf(f), t)
  // Show step f as it looks t ms (at 1x) into its animation, and stay there: for
  // screenshots and benchmarks, which need a moment of an animation on demand.
  P.pose = function (f, t) {
    setPlaying(false)
    const beats = beatsOf(f)
    if (t >= Math.max(0, ...beats.map((b) => b.t0 + b.dur))) {
      settle(f)
      return []
    }
    cancelAnim()
    P.frame = f
    setSlider(f)
    setBase(Math.max(0, f - 1))
    setText(f, drawAt(beats, t))
    P.settled = true
    return beats.map((b) => [b.kind, b.t0, b.dur])
  }

  readBands()
  P.known = total()
  const start = cfg.standalone ? /[#&]step=(\d+)/.exec(window.location.hash) : null
  // A notebook widget opens where the kernel last asked (it may have stepped
  // before the view was displayed), without animating.
  const asked = m.request != null ? takeRequest() : null
  settle(asked !== null ? asked.frame : start !== null ? clamp(Number(start[1]), 0, total()) : 0)
  if (cfg.standalone && /[#&]play\b/.test(window.location.hash)) togglePlay()
  return P
}

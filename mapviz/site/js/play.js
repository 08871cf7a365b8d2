// The playground (play.html): an editor, Run, the kernel model, the compare grid, and the
// views of `mapviz export` -- whose Bokeh document was built by `mapviz site` and which
// apply.js reloads with every run the worker (worker.js: Pyodide) answers.
//
// The link: #s=<base64url(deflate-raw(UTF-8 text))> or #t=<base64url(UTF-8 text)>, then
// &kernel=MODEL and &step=N or &step=end (docs/PLAYGROUND.md; mapviz/site/links.py).
// Text from a link is data: it only ever reaches the page as a textarea's value, as
// textContent, or through the views, which escape it.
"use strict"

window.MapvizPlayground = (function () {
  const cfg = JSON.parse(document.getElementById("mapviz-site").textContent)
  const $ = (id) => document.getElementById(id)
  const text = $("text"), gutter = $("gutter"), marks = $("marks")
  const S = {
    doc: null, theme: "light", kernel: "", step: "", worker: null, ready: false, seq: 0,
    waiting: new Map(), data: null, frame: 0, errorLine: 0, nowLine: 0, linked: false,
    timings: {start: performance.now()}, running: null, again: false, againTyped: 0, queued: null, resolveQueued: null, example: "",
  }

  // ---- The link ------------------------------------------------------------------
  function toBase64url(bytes) {
    let binary = ""
    for (let i = 0; i < bytes.length; i += 0x8000) {
      binary += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000))
    }
    return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "")
  }

  function fromBase64url(value) {
    const plain = value.replace(/-/g, "+").replace(/_/g, "/")
    const binary = atob(plain + "=".repeat((4 - (plain.length % 4)) % 4))
    return Uint8Array.from(binary, (c) => c.charCodeAt(0))
  }

  async function through(bytes, stream) {
    const piped = new Blob([bytes]).stream().pipeThrough(stream)
    return new Uint8Array(await new Response(piped).arrayBuffer())
  }

  function fields(hash) {
    const out = {}
    for (const part of hash.replace(/^#/, "").split("&")) {
      const at = part.indexOf("=")
      if (at > 0) out[part.slice(0, at)] = decodeURIComponent(part.slice(at + 1))
    }
    return out
  }

  async function readLink(hash) {
    const f = fields(hash)
    let scenario = null
    if (f.s !== undefined) {
      const bytes = await through(fromBase64url(f.s), new DecompressionStream("deflate-raw"))
      scenario = new TextDecoder("utf-8", {fatal: true}).decode(bytes)
    } else if (f.t !== undefined) {
      scenario = new TextDecoder("utf-8", {fatal: true}).decode(fromBase64url(f.t))
    }
    const kernel = cfg.models.includes(f.kernel) ? f.kernel : ""
    const step = /^(\d+|end)$/.test(f.step || "") ? f.step : ""
    const theme = f.theme === "dark" || f.theme === "light" ? f.theme : ""
    return {scenario, kernel, step, theme}
  }

  async function makeLink(step) {
    const bytes = await through(new TextEncoder().encode(text.value), new CompressionStream("deflate-raw"))
    let hash = "#s=" + toBase64url(bytes)
    if (S.kernel) hash += "&kernel=" + S.kernel
    if (step !== "" && step !== undefined) hash += "&step=" + step
    return hash
  }

  let linkTimer = null
  function updateLink() {
    if (!S.linked) return
    clearTimeout(linkTimer)
    linkTimer = setTimeout(async () => {
      const hash = await makeLink(S.frame)
      history.replaceState(null, "", hash + (S.themeInLink ? "&theme=" + S.theme : ""))
      $("link").value = location.href
    }, 150)
  }

  // ---- The editor: line numbers, the error's line, the shown step's line ---------------
  function lineCount() {
    return text.value.split("\n").length
  }

  function drawGutter() {
    const n = lineCount()
    if (gutter.childElementCount !== n) {
      const fragment = document.createDocumentFragment()
      for (let i = 1; i <= n; i++) {
        const div = document.createElement("div")
        div.textContent = String(i)
        fragment.appendChild(div)
      }
      gutter.replaceChildren(fragment)
    }
    let i = 1
    for (const div of gutter.children) {
      div.className = (i === S.errorLine ? "bad " : "") + (i === S.nowLine ? "now" : "")
      if (i !== S.errorLine) div.removeAttribute("title")
      i++
    }
    marks.replaceChildren()
    for (const [line, cls] of [[S.nowLine, "now"], [S.errorLine, "bad"]]) {
      if (line <= 0) continue
      const bar = document.createElement("div")
      bar.className = "mark " + cls
      bar.style.top = `calc(${line - 1} * var(--line) + var(--pad))`
      marks.appendChild(bar)
    }
    syncScroll()
  }

  function syncScroll() {
    gutter.scrollTop = text.scrollTop
    marks.style.transform = `translate(${-text.scrollLeft}px, ${-text.scrollTop}px)`
  }

  // Scroll the editor (only the editor) so that `line` shows.
  function reveal(line) {
    const lineHeight = parseFloat(getComputedStyle(text).lineHeight) || 19
    const top = (line - 1) * lineHeight
    if (top < text.scrollTop || top > text.scrollTop + text.clientHeight - 2 * lineHeight) {
      text.scrollTop = Math.max(0, top - text.clientHeight / 2)
      syncScroll()
    }
  }

  function showError(error) {
    S.errorLine = error ? error.line : 0
    $("error").textContent = error ? error.text : ""
    drawGutter()
    const bad = gutter.children[S.errorLine - 1]
    if (bad !== undefined) bad.title = error.text
    if (error && error.line > 0) reveal(error.line)
  }

  function setStatus(words) {
    $("status").textContent = words
  }

  // ---- The worker ---------------------------------------------------------------------
  function ask(type, extra) {
    const id = ++S.seq
    return new Promise((resolve, reject) => {
      S.waiting.set(id, {resolve, reject})
      S.worker.postMessage({type, id, ...extra})
    })
  }

  function startWorker() {
    const base = new URL(".", location.href)
    const pyodide = new URL(cfg.pyodide, base).href
    S.worker = new Worker(new URL("static/site/worker.js", base), {type: "module"})
    S.worker.onmessage = (event) => {
      const msg = event.data
      if (msg.type === "ready") return booted(msg)
      if (msg.type === "unbooted") return setStatus("Python could not start: " + msg.message)
      const waiter = S.waiting.get(msg.id)
      if (waiter === undefined) return
      S.waiting.delete(msg.id)
      if (msg.type === "failed") waiter.reject(new Error(msg.message))
      else waiter.resolve(msg)
    }
    S.worker.onerror = (event) => {
      setStatus("Python could not start: " + (event.message || "the worker failed"))
    }
    S.worker.postMessage({
      type: "boot", pyodide: pyodide.endsWith("/") ? pyodide : pyodide + "/",
      wheels: cfg.wheels.map((url) => new URL(url, base).href),
    })
  }

  let readyResolve
  const ready = new Promise((resolve) => { readyResolve = resolve })

  function booted(msg) {
    S.ready = true
    S.timings.pyodideMs = msg.pyodideMs
    S.timings.bootMs = msg.totalMs
    for (const id of ["run", "compare", "line"]) $(id).disabled = false
    setStatus(`Python ${msg.python} ready`)
    readyResolve()
  }

  // ---- Running ------------------------------------------------------------------------
  // Run the editor's text; `step`: where to go after ("" the start, "end", a number,
  // "live": animate the new last step, as a command typed live does).
  async function run(step, typedLine) {
    await ready
    if (S.running !== null) {
      // One run at a time; the newest text wins.  The caller waits for the run that
      // will read its text (the next one), never for the one already under way: that
      // one read older text, and its outcome is not this caller's.
      S.again = step
      S.againTyped = typedLine
      if (S.queued === null) S.queued = new Promise((resolve) => { S.resolveQueued = resolve })
      return S.queued
    }
    S.running = (async () => {
      const t0 = performance.now()
      const name = S.example !== "" && cfg.examples[S.example] === text.value ? S.example : "playground"
      const typed = step === "live" ? typedLine || 0 : 0
      const answer = await ask("run", {text: text.value, kernel: S.kernel, theme: S.theme, name, typed})
      const t1 = performance.now()
      const result = JSON.parse(answer.json)
      if (!result.ok) {
        showError(result.error)
        setStatus("")
        return {ok: false, error: result.error}
      }
      showError(null)
      const warnings = $("warnings")
      warnings.replaceChildren(...result.failures.map((words) => {
        const div = document.createElement("div")
        div.textContent = words
        return div
      }))
      S.data = result.view
      MapvizApply.apply(S.doc, result.view)
      const player = await MapvizApply.settled(S.doc, result.view.frames)
      const total = result.view.frames - 1
      if (step !== "live") player.jump(step === "end" ? total : Math.min(total, Number(step) || 0))
      S.linked = true
      await new Promise((resolve) => requestAnimationFrame(() => resolve()))
      const t2 = performance.now()
      S.timings.lastRun = {python: answer.ms, worker: t1 - t0, total: t2 - t0}
      document.title = `mapviz playground: ${result.view.title}`
      setStatus(`${total} steps · ${result.view.kernel} · ran in ${Math.round(t2 - t0)} ms`)
      onFrame()
      updateLink()  // the kernel or the text may have changed, the step not
      if ($("grid").childElementCount > 0) compare()
      return {ok: true, frames: result.view.frames}
    })()
    try {
      return await S.running
    } catch (error) {
      setStatus("The run failed: " + error.message)
      return {ok: false, error: {line: 0, text: error.message}}
    } finally {
      S.running = null
      if (S.again !== false) {
        const again = S.again, againTyped = S.againTyped, resolve = S.resolveQueued
        S.again = false
        S.queued = null
        run(again, againTyped).then(resolve)
      }
    }
  }

  // Typing one command at the end: it joins the text and the run steps to it, animated.
  async function typed(line) {
    const current = text.value.replace(/\n+$/, "")
    text.value = (current ? current + "\n" : "") + line + "\n"
    drawGutter()
    text.scrollTop = text.scrollHeight
    const outcome = await run("live", current ? current.split("\n").length + 1 : 1)
    if (!outcome.ok) {  // the command was wrong: it goes again, the error stays shown
      text.value = current + (current ? "\n" : "")
      const error = outcome.error
      drawGutter()
      $("error").textContent = error.text
    }
    return outcome
  }

  // ---- The compare grid ---------------------------------------------------------------
  async function compare() {
    await ready
    const answer = JSON.parse((await ask("compare", {text: text.value})).json)
    const grid = $("grid")
    if (!answer.ok) {
      showError(answer.error)
      return grid.replaceChildren()
    }
    const c = answer.comparison
    const table = document.createElement("table")
    const head = table.createTHead().insertRow()
    for (const words of ["line", "command", "%expect", ...c.models]) {
      const th = document.createElement("th")
      th.textContent = words
      if (words === (S.kernel || c.kernel)) th.className = "current"
      head.appendChild(th)
    }
    const body = table.createTBody()
    for (const row of c.steps) {
      const tr = body.insertRow()
      if (row.differs) tr.className = "differs"
      const cell = (words, cls) => {
        const td = tr.insertCell()
        td.textContent = words
        if (cls) td.className = cls
        return td
      }
      cell(String(row.line), "num")
      cell(row.command, "cmd")
      cell(row.expect || "", "expect")
      for (const model of c.models) {
        const got = row.results[model]
        const button = document.createElement("button")
        button.type = "button"
        button.textContent = got.story || got.result
        button.title = got.why || got.story || got.result
        button.className = "res " + (got.result === "ok" ? "ok" : got.result === "skipped" ? "skip" : "bad")
        button.addEventListener("click", () => showStep(model, row.line))
        const td = tr.insertCell()
        if (model === (S.kernel || c.kernel)) td.className = "current"
        td.appendChild(button)
      }
    }
    const caption = table.createCaption()
    caption.textContent = `The scenario under every kernel model: ${c.differing} of ${c.steps.length} ` +
      "steps differ (marked ◆). Click a result to see that step under that model."
    grid.replaceChildren(table)
  }

  async function showStep(model, line) {
    S.kernel = model
    $("kernel").value = model
    await run("")
    const story = S.doc.get_model_by_name("mapviz-story").data
    const frame = story.line.findIndex((l, f) => f > 0 && l === line)
    if (frame > 0) MapvizApply.player(S.doc).jump(frame)
  }

  // ---- Following the player -----------------------------------------------------------
  function onFrame() {
    const player = S.doc && MapvizApply.player(S.doc)
    if (player === undefined) return
    const frame = player.state().frame
    const story = S.doc.get_model_by_name("mapviz-story").data
    const line = frame > 0 ? story.line[frame] : 0
    if (frame !== S.frame || line !== S.nowLine) {
      S.frame = frame
      S.nowLine = line
      drawGutter()
      if (line > 0 && document.activeElement !== text) reveal(line)
      updateLink()
    }
  }

  // ---- Download: the current run as one offline HTML file, like `mapviz export` ---------
  function scriptJson(value) {
    return JSON.stringify(value).replace(/</g, "\\u003c")
  }

  function escapeHtml(value) {
    return String(value).replace(/[&<>"']/g, (c) => ({
      "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;",
    })[c])
  }

  async function oneFile() {
    const base = new URL(".", location.href)
    const load = (url) => fetch(new URL(url, base)).then((r) => {
      if (!r.ok) throw new Error(`${url}: HTTP ${r.status}`)
      return r.text()
    })
    const scripts = await Promise.all([...cfg.bokeh, "static/site/apply.js"].map(load))
    const title = "mapviz: " + (S.data ? S.data.title : cfg.docs[S.theme].doc.title)
    const inline = scripts.map((js) => `<script>${js.replace(/<\/script/gi, "<\\/script")}</script>`)
    return "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n" +
      `<title>${escapeHtml(title)}</title>\n${inline.join("\n")}\n</head>\n<body>\n` +
      "<div id=\"mapviz-view\"></div>\n" +
      `<script type="application/json" id="mapviz-item">${scriptJson(cfg.docs[S.theme])}</script>\n` +
      `<script type="application/json" id="mapviz-data">${scriptJson(S.data)}</script>\n` +
      "<script>MapvizApply.standalone()</script>\n</body>\n</html>\n"
  }

  async function download() {
    const page = await oneFile()
    const url = URL.createObjectURL(new Blob([page], {type: "text/html"}))
    const a = document.createElement("a")
    const name = (S.data ? S.data.title : cfg.defaultName).toLowerCase().replace(/[^a-z0-9]+/g, "-")
    a.href = url
    a.download = (name.replace(/^-+|-+$/g, "") || "mapviz") + ".html"
    document.body.appendChild(a)
    a.click()
    a.remove()
    setTimeout(() => URL.revokeObjectURL(url), 10000)
  }

  // ---- Start ----------------------------------------------------------------------------
  async function start() {
    let link = {scenario: null, kernel: "", step: "", theme: ""}
    try {
      link = await readLink(location.hash)
    } catch (error) {
      $("error").textContent = "This link holds no readable scenario (" + error.message + ")."
    }
    const dark = window.matchMedia && window.matchMedia("(prefers-color-scheme: dark)").matches
    S.theme = link.theme || (dark ? "dark" : "light")
    S.themeInLink = link.theme !== ""
    document.documentElement.dataset.theme = S.theme
    $("mv-theme").textContent = cfg.css[S.theme]
    S.kernel = link.kernel
    $("kernel").value = S.kernel
    text.value = link.scenario !== null ? link.scenario : cfg.defaultText
    const known = Object.keys(cfg.examples).find((name) => cfg.examples[name] === text.value)
    S.example = known !== undefined ? known : ""
    drawGutter()
    startWorker()
    S.doc = await MapvizApply.embed(cfg.docs[S.theme], "mapviz-view")
    const slider = S.doc.get_model_by_name("mapviz-slider")
    slider.properties.value.change.connect(() => requestAnimationFrame(onFrame))
    S.timings.viewMs = performance.now() - S.timings.start
    // The page already shows the default scenario; a link's scenario needs Python first.
    if (link.scenario !== null || link.kernel !== "") {
      setStatus("Loading Python…")
      await run(link.step)
    } else {
      S.linked = true
      onFrame()
    }
    S.timings.interactiveMs = performance.now() - S.timings.start
  }

  text.addEventListener("scroll", syncScroll)
  text.addEventListener("input", () => {
    if (S.errorLine > 0) showError(null)
    drawGutter()
    updateLink()
  })
  text.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      event.preventDefault()
      run("")
    }
  })
  $("run").addEventListener("click", () => run(""))
  $("kernel").addEventListener("change", (event) => {
    S.kernel = event.target.value
    run(S.frame)
  })
  $("example").addEventListener("change", (event) => {
    const name = event.target.value
    if (!name) return
    text.value = cfg.examples[name]
    S.example = name
    S.kernel = ""
    $("kernel").value = ""
    drawGutter()
    run("")
  })
  $("compare").addEventListener("click", () => compare())
  $("command").addEventListener("submit", (event) => {
    event.preventDefault()
    const line = $("line").value.trim()
    if (!line) return
    typed(line).then((outcome) => { if (outcome.ok) $("line").value = "" })
  })
  $("share").addEventListener("click", async () => {
    const link = new URL(await makeLink(S.frame), location.href).href
    $("link").value = link
    $("link").select()
    try {
      await navigator.clipboard.writeText(link)
      setStatus("Link copied")
    } catch (error) {
      setStatus("Link selected: copy it (Ctrl+C)")
    }
  })
  $("download").addEventListener("click", () => download())
  $("theme").addEventListener("click", async () => {
    const other = S.theme === "dark" ? "light" : "dark"
    location.hash = (await makeLink(S.frame)) + "&theme=" + other
    location.reload()
  })

  const started = start()
  return {
    started, ready, run, typed, compare, showStep, oneFile, readLink, makeLink,
    state: () => ({frame: S.frame, kernel: S.kernel, theme: S.theme, errorLine: S.errorLine,
                   nowLine: S.nowLine, ready: S.ready, timings: S.timings,
                   running: S.running !== null}),
    player: () => MapvizApply.player(S.doc),
  }
})()

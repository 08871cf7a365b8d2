// The playground's Python, in a Web Worker: Pyodide, then mapviz's and sortedcontainers'
// wheels unpacked into it, then mapviz.site.worker, which answers every request with JSON.
// No Bokeh and no numpy here: the page draws what this returns.
let api = null

async function boot(msg) {
  const t0 = performance.now()
  // A module worker: Pyodide 314 refuses classic ones.
  const {loadPyodide} = await import(msg.pyodide + "pyodide.mjs")
  const pyodide = await loadPyodide({indexURL: msg.pyodide})
  const t1 = performance.now()
  for (const url of msg.wheels) {
    const response = await fetch(url)
    if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`)
    // A Uint8Array: Pyodide refuses other buffers.
    pyodide.unpackArchive(new Uint8Array(await response.arrayBuffer()), "wheel")
  }
  api = pyodide.pyimport("mapviz.site.worker")
  return {pyodideMs: t1 - t0, totalMs: performance.now() - t0, python: pyodide.version}
}

self.onmessage = async (event) => {
  const msg = event.data
  try {
    if (msg.type === "boot") {
      self.postMessage({type: "ready", ...(await boot(msg))})
      return
    }
    const t0 = performance.now()
    const json = msg.type === "compare" ? api.compare(msg.text) : api.run(msg.text, msg.kernel, msg.theme, msg.name, msg.typed || 0)
    self.postMessage({type: msg.type, id: msg.id, json, ms: performance.now() - t0})
  } catch (error) {
    const message = String((error && error.message) || error)
    self.postMessage({type: msg.type === "boot" ? "unbooted" : "failed", id: msg.id, message})
  }
}

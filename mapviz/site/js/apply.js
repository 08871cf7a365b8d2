// Loads a view, as mapviz.render.page_data.view_data makes it (plain JSON), into a
// Bokeh document built by mapviz.render.document.build_view: in the browser, what
// figure.fill_plot and document.load_view do in Python.  The playground uses it for
// every run, and so does the one-file HTML it downloads, so both draw the one picture.
//
// Every string of the view is either escaped already (the header: page_data.header_html)
// or drawn as text (axes, legend: canvas; narration and log: the player escapes).
"use strict"

const MapvizApply = (function () {
  const TYPED = {
    int8: Int8Array, int16: Int16Array, int32: Int32Array,
    uint8: Uint8Array, float32: Float32Array, float64: Float64Array,
  }
  const STORES = ["store_q", "store_l", "store_p", "store_g", "files", "beats", "bands", "sections"]

  function model(doc, name) {
    const found = doc.get_model_by_name(name)
    if (found == null) throw new Error(`mapviz: the page has no model ${name}`)
    return found
  }

  // Numeric columns in the typed arrays `mapviz export` sends them in (schema.py).
  function typed(columns, dtypes) {
    const out = {}
    for (const [name, values] of Object.entries(columns)) {
      const Type = dtypes != null ? TYPED[dtypes[name]] : undefined
      out[name] = Type !== undefined ? Type.from(values) : values
    }
    return out
  }

  function ticks(axis, pairs) {
    axis.ticker.ticks = pairs.map((p) => p[0])
    axis.ticker.minor_ticks = []
    axis.major_label_overrides = new Map(pairs.map((p) => [p[0], p[1]]))
  }

  // The player of the document (main.js keeps it on the plot model), once it exists.
  function player(doc) {
    return model(doc, "mapviz-plot").__mapviz_player
  }

  // What zoom.fill_zoom sets: how far the plot zooms, the overview strip, and the
  // settings js/zoom.js relabels the axes with (mapviz.render.page_data.zoom_settings).
  function zoom(doc, plot, layout) {
    const settings = layout.zoom
    plot.x_range.min_interval = settings.min_interval
    const overview = model(doc, "mapviz-overview")
    overview.visible = settings.overview
    overview.min_border_left = layout.min_border_left
    const relabel = model(doc, "mapviz-relabel")
    const args = new Map(relabel.args instanceof Map ? relabel.args : Object.entries(relabel.args))
    for (const key of ["span", "pieces", "bs", "full", "char"]) args.set(key, settings[key])
    relabel.args = relabel.args instanceof Map ? args : Object.fromEntries(args)
    // The whole width again: a new view starts unzoomed.
    plot.x_range.setv({start: plot.x_range.bounds[0], end: plot.x_range.bounds[1]})
  }

  function apply(doc, data) {
    const layout = data.plot
    const plot = model(doc, "mapviz-plot")
    plot.y_range.start = layout.y_range[0]
    plot.y_range.end = layout.y_range[1]
    plot.frame_height = layout.frame_height
    plot.min_border_left = layout.min_border_left
    model(doc, "mapviz-guides").data = layout.guides
    model(doc, "mapviz-breaks").data = layout.breaks
    for (const axis of ["offsets", "blocks", "lanes"]) {
      ticks(model(doc, `mapviz-axis-${axis}`), layout.ticks[axis])
    }
    zoom(doc, plot, layout)
    const entries = layout.legend
    const items = entries.keys.map((key, i) => {
      const item = model(doc, `mapviz-legend-${key}`)
      if (entries.owners.includes(key)) item.label = {value: entries.labels[i]}
      return item
    })
    const legend = model(doc, "mapviz-legend")
    legend.items = items
    legend.visible = items.length > 0
    if (items.length > 0) legend.nrows = entries.nrows
    model(doc, "mapviz-header").text = data.header
    const slider = model(doc, "mapviz-slider")
    slider.end = Math.max(1, data.frames - 1)
    slider.disabled = data.frames <= 1
    for (const store of STORES) {
      model(doc, `mapviz-${store}`).data = typed(data.stores[store], data.dtypes[store])
    }
    // Last: the player listens to the story, and by now every table it reads is in place.
    model(doc, "mapviz-story").data = data.stores.story
  }

  // Wait until the player has taken the new story (CustomJS callbacks may run later).
  async function settled(doc, frames) {
    for (let i = 0; i < 200; i++) {
      const p = player(doc)
      if (p !== undefined && p.state().total === frames - 1) return p
      await new Promise((resolve) => setTimeout(resolve, 5))
    }
    throw new Error("mapviz: the player did not take the new view")
  }

  // Embed a Bokeh json_item into the element `target` (an id); its document.
  async function embed(item, target) {
    const before = Bokeh.documents.length
    await Bokeh.embed.embed_item(item, target)
    if (Bokeh.documents.length <= before) throw new Error("mapviz: the view did not embed")
    return Bokeh.documents[Bokeh.documents.length - 1]
  }

  // For the one-file HTML the playground downloads: the page's own item and view.
  async function standalone() {
    const read = (id) => JSON.parse(document.getElementById(id).textContent)
    const doc = await embed(read("mapviz-item"), "mapviz-view")
    const data = read("mapviz-data")
    if (data !== null) {
      apply(doc, data)
      const p = await settled(doc, data.frames)
      const step = /[#&]step=(\d+|end)/.exec(window.location.hash)
      const total = data.frames - 1
      p.jump(step === null ? 0 : step[1] === "end" ? total : Math.min(total, Number(step[1])))
    }
    return doc
  }

  return {apply, embed, player, settled, standalone}
})()

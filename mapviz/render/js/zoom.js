// The axes of a zoomed view: round, exact labels for what the x range now shows.
//
// Runs as a CustomJS on the plot's x_range (start and end).  At the whole
// width it puts back the ticks Python chose (mapviz/render/ticks.py); zoomed
// in, it picks file offsets at multiples of a power of two and device blocks
// at multiples of a power of two inside each kept piece of the compressed
// device axis, as far apart as their labels are wide, and labels them
// exactly ("1.25 MiB", never "1.2 MiB"), all in one unit.  Args: offsets, blocks (the axes),
// plot, span (bytes at x = 1000), pieces ([start, end, x0, x1] in bytes and
// x), bs (block size), full ({offsets, blocks}: [x, label] pairs), char (px
// of one label character).
const UNITS = [[2 ** 40, "TiB"], [2 ** 30, "GiB"], [2 ** 20, "MiB"], [2 ** 10, "KiB"]]

// The largest unit in which every multiple of step reads exactly (at most three
// decimals), so one axis never mixes "11.75 MiB" with "11968 KiB".
function unitFor(step) {
  for (const [unit, name] of UNITS) if ((step * 1000) % unit === 0) return [unit, name]
  return [1, "B"]
}

function inUnit(n, [unit, name]) {
  if (n === 0) return "0"
  const whole = Math.floor(n / unit)
  const rest = String(Math.floor(((n % unit) * 1000) / unit)).padStart(3, "0").replace(/0+$/, "")
  return rest ? `${whole}.${rest} ${name}` : `${whole} ${name}`
}

function powerAtLeast(n) {
  let step = 1
  while (step < n) step *= 2
  return step
}

function setTicks(axis, pairs) {
  axis.ticker.ticks = pairs.map(([x]) => x)
  axis.major_label_overrides = new Map(pairs.map(([x, label]) => [x, label]))
}

function fileTicks(start, end, pxPerX) {
  const first = (Math.max(start, 0) / 1000) * span
  const last = (Math.min(end, 1000) / 1000) * span
  // Room for the widest label: a step's unit decides how long labels are.
  let step = 1
  for (;;) {
    const unit = unitFor(step)
    const widest = inUnit(Math.ceil(last / step) * step, unit).length + 2
    if (((step / span) * 1000 * pxPerX) >= widest * char) break
    step *= 2
  }
  const unit = unitFor(step)
  const pairs = []
  for (let b = Math.ceil(first / step) * step; b <= last; b += step) {
    pairs.push([(b / span) * 1000, inUnit(b, unit)])
  }
  return pairs
}

function blockTicks(start, end, pxPerX) {
  const pairs = []
  const widest = String(Math.floor(pieces[pieces.length - 1][1] / bs)).length + 2
  const minX = (widest * char) / pxPerX
  let lastX = -Infinity
  for (const [from, to, x0, x1] of pieces) {
    if (x1 < start || x0 > end) continue
    const blocksPerX = (to - from) / bs / Math.max(x1 - x0, 1e-9)
    const step = powerAtLeast(Math.max(1, minX * blocksPerX))
    const lo = from + ((Math.max(start, x0) - x0) / Math.max(x1 - x0, 1e-9)) * (to - from)
    const hi = from + ((Math.min(end, x1) - x0) / Math.max(x1 - x0, 1e-9)) * (to - from)
    for (let block = Math.ceil(lo / bs / step) * step; block * bs <= hi; block += step) {
      const x = x0 + ((block * bs - from) / (to - from)) * (x1 - x0)
      if (x - lastX < minX) continue
      pairs.push([x, String(block)])
      lastX = x
    }
  }
  return pairs
}

const range = plot.x_range
const whole = range.start <= range.bounds[0] + 0.5 && range.end >= range.bounds[1] - 0.5
if (whole) {
  setTicks(offsets, full.offsets)
  setTicks(blocks, full.blocks)
} else {
  const width = plot.inner_width || plot.width || 900
  const pxPerX = width / Math.max(range.end - range.start, 1e-9)
  setTicks(offsets, fileTicks(range.start, range.end, pxPerX))
  setTicks(blocks, blockTicks(range.start, range.end, pxPerX))
}

// The text beside the plot: narration for the current step and the event log.
// All scenario text is escaped here (esc), because these Divs render HTML.

function resultBadge(result) {
  if (!result) return ""
  const cls = result === "ok" ? "mv-ok" : result === "skipped" ? "mv-skip" : "mv-bad"
  return `<span class="mv-res ${cls}">${esc(result)}</span>`
}

function storyRow(story, f) {
  const d = story.data
  return {
    command: d.command[f], result: d.result[f], why: d.why[f], note: d.note[f],
    carried: d.carried[f], process: d.process[f], line: d.line[f], clock: d.clock[f],
    output: d.output[f], expect: d.expect[f],
  }
}

// Simulated time, when there is any: "t=0 → 45 s" for a step that waited.
function clockText(story, f) {
  const now = story.data.clock[f], before = f > 0 ? story.data.clock[f - 1] : 0
  if (now <= 0) return ""
  return now !== before ? ` · t=${esc(before)} → ${esc(now)} s` : ` · t=${esc(now)} s`
}

// A citation ("§2.2", "STACK.md §6") in text that has been escaped already becomes
// a link that opens the cited section in place, when the page carries that section
// (sections: mapviz.render.sources; pattern and default document: mapviz.citations).
function citeLinks(escaped, sections, cite) {
  const d = sections.data
  if (!d.key || d.key.length === 0) return escaped
  return escaped.replace(new RegExp(cite.pattern, "g"), (whole, ...groups) => {
    const named = groups[groups.length - 1]
    const i = d.key.indexOf(`${named.document || cite.fallback} §${named.section}`)
    if (i < 0) return whole
    return `<details class="mv-cite"><summary>${whole}</summary>` +
      `<div class="mv-section">${d.html[i]}</div></details>`
  })
}

function narrationHtml(story, f, total, sections, cite) {
  const s = storyRow(story, f)
  if (f === 0) {
    return `<div class="mv-stepno">Start · ${total} steps</div>` +
      `<div class="mv-note">Press <kbd>→</kbd> or <b>Step</b> to run the first command, ` +
      `<kbd>Space</kbd> to play them all.</div>`
  }
  let html = `<div class="mv-stepno">Step ${f} of ${total}` +
    (s.process ? ` · <span class="mv-proc">${esc(s.process)}</span>` : "") +
    (s.line ? ` · line ${esc(s.line)}` : "") +
    clockText(story, f) + `</div>`
  html += `<div class="mv-cmd"><code>${esc(s.command)}</code> ${resultBadge(s.result)}</div>`
  if (s.why && s.result !== "ok") {
    html += `<div class="mv-why${s.result === "skipped" ? "" : " mv-why-bad"}">` +
      `${citeLinks(esc(s.why), sections, cite)}</div>`
  }
  if (s.note) {
    html += `<div class="mv-note${s.carried ? " mv-carried" : ""}">` +
      `${citeLinks(esc(s.note), sections, cite)}</div>`
  }
  if (s.output) html += `<pre class="mv-out">${esc(s.output)}</pre>`
  return html
}

// Every step so far, newest last; the current one with its events spelled out.
// While a step animates, its events after beat `upto` are shown faded: the log
// keeps pace with the picture instead of giving the ending away.
function logHtml(story, beats, f, upto, sections, cite) {
  const parts = []
  for (let g = 1; g <= f; g++) {
    const s = storyRow(story, g)
    const current = g === f
    parts.push(`<div class="mv-log-step${current ? " mv-current" : ""}">` +
      `<span class="mv-log-no">${g}</span> <code>${esc(s.command)}</code> ${resultBadge(s.result)}</div>`)
    if (current) {
      for (const beat of beats) {
        const later = beat.index > upto ? " mv-later" : ""
        parts.push(`<div class="mv-log-event${later}"><span class="mv-kind mv-k-${esc(beat.kind)}">` +
          `${esc(beat.kind.replace("_", " "))}</span> ` +
          `${citeLinks(esc(beat.text), sections, cite)}</div>`)
      }
    }
  }
  if (parts.length === 0) parts.push(`<div class="mv-log-empty">No step yet.</div>`)
  return `<div class="mv-log-title">Event log</div>` + parts.join("")
}

// The scenario's text with the current step's line marked.  An entry of lines
// that is a number stands for that many lines left out (a real file's 10,000
// %extent lines): they are said, not listed.
function sourceHtml(lines, line, summary) {
  const rows = []
  let number = 0
  for (const text of lines) {
    if (typeof text === "number") {
      const first = number + 1
      number += text
      const now = line >= first && line <= number ? " mv-src-now" : ""
      rows.push(`<span class="mv-src mv-src-gap${now}"><span class="mv-src-no">…</span>` +
        `(lines ${first}–${number}: ${text.toLocaleString("en")} more like these)</span>`)
      continue
    }
    number += 1
    rows.push(`<span class="mv-src${number === line ? " mv-src-now" : ""}">` +
      `<span class="mv-src-no">${number}</span>${esc(text)}</span>`)
  }
  return `<details open><summary>${esc(summary)}</summary><pre class="mv-source">${rows.join("\n")}</pre></details>`
}

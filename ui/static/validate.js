// Validate: paste a spec, see each error at its line and column, in the text.
'use strict'

;(() => {
  const { api, el, showProblem } = cairn
  const form = document.getElementById('validate-form')
  const input = document.getElementById('spec-input')
  const result = document.getElementById('validate-result')
  const annotated = document.getElementById('annotated')

  /** Puts the caret at line:column in the text area (both 1-based). */
  function jumpTo(line, column) {
    const lines = input.value.split('\n')
    let offset = 0
    for (let i = 0; i < Math.min(line - 1, lines.length); i++) offset += lines[i].length + 1
    offset += Math.max(0, column - 1)
    input.focus()
    input.setSelectionRange(offset, offset + 1)
  }

  /** The text with each error under its line, a caret at its column. */
  function annotate(text, errors) {
    const byLine = new Map()
    for (const e of errors) byLine.set(e.line, [...(byLine.get(e.line) || []), e])
    const width = String(text.split('\n').length).length
    const nodes = []
    text.split('\n').forEach((line, i) => {
      const n = i + 1
      const errs = byLine.get(n) || []
      nodes.push(el('span', { class: errs.length ? 'line line-error' : 'line', 'data-line': n }, `${String(n).padStart(width)} │ ${line}\n`))
      for (const e of errs) nodes.push(el('span', { class: 'line-message', role: 'note' }, `${' '.repeat(width)} │ ${' '.repeat(Math.max(0, e.column - 1))}^ ${e.message} (line ${e.line}, column ${e.column})\n`))
    })
    // errors past the end of the text (an unexpected end of document)
    for (const [n, errs] of byLine) if (n > text.split('\n').length) for (const e of errs) nodes.push(el('span', { class: 'line-message' }, `line ${n}, column ${e.column}: ${e.message}\n`))
    annotated.replaceChildren(...nodes)
    annotated.hidden = false
  }

  form.addEventListener('submit', async (event) => {
    event.preventDefault()
    const text = input.value
    if (!text.trim()) {
      result.replaceChildren(el('p', { class: 'notice notice-bad' }, 'Paste a spec first: the text is empty.'))
      annotated.hidden = true
      return
    }
    try {
      const verdict = await api('/api/v1/slos/validate', { method: 'POST', headers: { 'content-type': 'application/yaml' }, body: text })
      if (verdict.valid) {
        result.replaceChildren(el('p', { class: 'notice notice-good', id: 'verdict' }, `✓ Valid: ${verdict.slos.length} SLO${verdict.slos.length === 1 ? '' : 's'} (${verdict.slos.map((s) => `${s.id}, ${s.format}`).join('; ')}).`))
        annotated.hidden = true
        return
      }
      result.replaceChildren(
        el('p', { class: 'notice notice-bad', id: 'verdict' }, `✗ ${verdict.errors.length} error${verdict.errors.length === 1 ? '' : 's'}:`),
        el('ol', { class: 'errors', id: 'errors' }, verdict.errors.map((e) => el('li', {}, el('button', { type: 'button', class: 'link', 'data-line': e.line, 'data-column': e.column, onclick: () => jumpTo(e.line, e.column) }, `line ${e.line}, column ${e.column}`), `: ${e.message}`))),
      )
      annotate(text, verdict.errors)
    } catch (e) {
      showProblem(e)
    }
  })
  document.body.dataset.ready = 'true'
})()

// The overview: every SLO with its budget and burn, health-band counts,
// filters kept in the URL so a link shows the same view.
'use strict'

;(() => {
  const { api, el, pct, sliPct, rate, burnLevel, thresholdsByWindow, stateText, alertBadges, showProblem } = cairn
  const WINDOWS = ['1h', '6h', '1d', '3d']
  const FILTERS = ['service', 'label', 'state', 'sort', 'band']
  const form = document.getElementById('filters')
  let rows = []

  /** The health band of an SLO: by remaining budget, or no data / error. */
  function band(status) {
    if (status.state === 'error') return 'error'
    const r = status.errorBudget.remainingRatio
    if (status.state !== 'ok' || r === null) return 'nodata'
    if (r <= 0) return 'exhausted'
    if (r < 0.25) return 'lt25'
    if (r < 0.5) return 'lt50'
    if (r < 0.75) return 'lt75'
    return 'healthy'
  }

  const firing = (s) => Object.values(s.status.alerts || {}).some((a) => a.state === 'firing')

  function labelMatches(slo, text) {
    if (!text) return true
    const [key, value] = text.includes('=') ? text.split(/=(.*)/s).map((x) => x.trim()) : [text.trim(), undefined]
    if (value === undefined) return key in slo.labels || Object.values(slo.labels).some((v) => v === key)
    return slo.labels[key] === value
  }

  function matches(slo, f) {
    if (f.service && slo.service !== f.service) return false
    if (!labelMatches(slo, f.label)) return false
    if (f.band && band(slo.status) !== f.band) return false
    if (f.state === 'alerting') return firing(slo)
    if (f.state && slo.status.state !== f.state) return false
    return true
  }

  function sorted(list, sort) {
    const remaining = (s) => s.status.errorBudget.remainingRatio
    const byBudget = (dir) => (a, b) => {
      const x = remaining(a), y = remaining(b)
      if (x === null && y === null) return a.id.localeCompare(b.id)
      if (x === null) return 1 // no data last, whatever the direction
      if (y === null) return -1
      return dir * (x - y) || a.id.localeCompare(b.id)
    }
    if (sort === 'id') return [...list].sort((a, b) => a.id.localeCompare(b.id))
    return [...list].sort(byBudget(sort === '-budget' ? -1 : 1))
  }

  function budgetCell(status) {
    const r = status.errorBudget.remainingRatio
    if (status.state !== 'ok' || r === null) return el('td', { class: 'budget' }, el('span', { class: 'muted' }, status.state === 'error' ? 'error' : 'no data'))
    const fill = el('span', { class: `fill ${r < 0 ? 'over' : band(status)}` })
    fill.style.width = `${Math.min(100, Math.abs(r) * 100)}%`
    const text = r < 0 ? `${pct(r, 1)} overspent` : pct(r, 1)
    return el('td', { class: 'budget', 'data-value': r }, el('span', { class: `bar${r < 0 ? ' negative' : ''}`, 'aria-hidden': 'true' }, fill), el('span', { class: 'bar-text' }, text))
  }

  function burnCell(value, thresholds) {
    const level = burnLevel(value, thresholds)
    const mark = level === 'page' ? '▲▲ ' : level === 'ticket' ? '▲ ' : ''
    const title = thresholds ? thresholds.map((t) => `${t.severity} at ${rate(t.threshold)}×`).join(', ') : 'not an alert window of this SLO'
    const label = level === 'page' || level === 'ticket' ? ` (over the ${level} threshold)` : ''
    return el('td', { class: `num burn burn-${level}`, title }, el('span', { 'aria-hidden': 'true' }, mark), `${rate(value)}`, label ? el('span', { class: 'visually-hidden' }, label) : null)
  }

  const SVG = 'http://www.w3.org/2000/svg'
  /** Remaining budget over 7 days as a line; the zero line when it crosses zero; text in aria-label. */
  function sparkline(series) {
    const values = (series || []).filter((v) => v !== null)
    if (values.length < 2) return el('span', { class: 'muted' }, 'no history')
    const w = 100, h = 24
    const lo = Math.min(0, ...values), hi = Math.max(1, ...values)
    const y = (v) => (h - 1 - ((v - lo) / (hi - lo)) * (h - 2)).toFixed(1)
    const step = w / (series.length - 1)
    const points = series.map((v, i) => (v === null ? null : `${(i * step).toFixed(1)},${y(v)}`)).filter(Boolean).join(' ')
    const svg = document.createElementNS(SVG, 'svg')
    svg.setAttribute('viewBox', `0 0 ${w} ${h}`)
    svg.setAttribute('class', 'spark')
    svg.setAttribute('role', 'img')
    svg.setAttribute('aria-label', `remaining budget over 7 days: from ${pct(values[0], 0)} to ${pct(values.at(-1), 0)}, lowest ${pct(Math.min(...values), 0)}`)
    if (lo < 0) {
      const zero = document.createElementNS(SVG, 'line')
      for (const [k, v] of Object.entries({ x1: 0, x2: w, y1: y(0), y2: y(0), class: 'zero' })) zero.setAttribute(k, v)
      svg.append(zero)
    }
    const line = document.createElementNS(SVG, 'polyline')
    line.setAttribute('points', points)
    svg.append(line)
    return svg
  }

  function row(slo, policy, trend) {
    const s = slo.status
    const thresholds = thresholdsByWindow(policy)
    const labels = Object.entries(slo.labels).map(([k, v]) => el('span', { class: 'label' }, `${k}=${v}`))
    const state = s.state === 'ok' ? null : el('span', { class: `badge state-${s.state}` }, stateText(s))
    // The engine stopped evaluating it: the numbers are not current.
    const stale = s.stale ? el('span', { class: 'badge state-error', title: `last evaluated ${s.evaluatedAt}` }, 'stale') : null
    return el('tr', { 'data-id': slo.id, 'data-band': band(s) },
      el('th', { scope: 'row' }, el('a', { href: `/slos/${encodeURIComponent(slo.id)}` }, slo.displayName || slo.id), el('div', { class: 'sub' }, slo.service, ' · ', slo.window, ' · ', slo.sliKind, ' ', labels, ' ', state, ' ', stale)),
      el('td', { class: 'num' }, sliPct(slo.objectivePercent / 100)),
      el('td', { class: 'num' }, s.state === 'ok' ? sliPct(s.sli) : el('span', { class: 'muted' }, s.state === 'error' ? 'error' : 'no data')),
      budgetCell(s),
      WINDOWS.map((w) => burnCell(s.burnRates[w], thresholds[w])),
      el('td', { class: 'alerts' }, alertBadges(s.alerts)),
      el('td', { class: 'trend' }, trend === undefined ? el('span', { class: 'muted' }, '…') : sparkline(trend)),
    )
  }

  function readFilters() {
    const data = new FormData(form)
    return Object.fromEntries(FILTERS.map((k) => [k, String(data.get(k) || '')]))
  }

  function writeUrl(f) {
    const params = new URLSearchParams()
    for (const k of FILTERS) if (f[k] && !(k === 'sort' && f[k] === 'budget')) params.set(k, f[k])
    const query = params.toString()
    history.replaceState(null, '', query ? `?${query}` : location.pathname)
  }

  function render(data) {
    const f = readFilters()
    writeUrl(f)
    const counts = {}
    for (const s of rows) counts[band(s.status)] = (counts[band(s.status)] || 0) + 1
    for (const node of document.querySelectorAll('[data-count]')) node.textContent = String(counts[node.dataset.count] || 0)
    for (const b of document.querySelectorAll('[data-band]')) if (b.tagName === 'BUTTON') b.setAttribute('aria-pressed', String(b.dataset.band === f.band))
    const shown = sorted(rows.filter((s) => matches(s, f)), f.sort)
    const body = document.querySelector('#slos tbody')
    const fragment = document.createDocumentFragment()
    for (const slo of shown) fragment.append(row(slo, data.policies.policies[data.policies.slos[slo.id]], trendOf(data, slo.id)))
    body.replaceChildren(fragment)
    if (shown.length === 0) body.append(el('tr', {}, el('td', { colspan: 10, class: 'muted' }, rows.length === 0 ? 'No SLOs yet: add specs to CAIRN_SLO_DIR or PUT them to /api/v1/slos/{id}.' : 'No SLO matches these filters.')))
    document.getElementById('summary').textContent = `Showing ${shown.length} of ${rows.length} SLOs.`
  }

  /** undefined while the trends load (the table does not wait for them), else the series or null. */
  const trendOf = (data, id) => (data.trends ? data.trends.slos[id] || null : undefined)

  /** Draws the sparklines into the rows already shown, keeping focus and scroll where they are. */
  function fillTrends(data) {
    for (const tr of document.querySelectorAll('#slos tbody tr[data-id]')) tr.lastElementChild.replaceChildren(sparkline(trendOf(data, tr.dataset.id)))
  }

  function fillChoices() {
    const services = [...new Set(rows.map((s) => s.service))].sort()
    const select = document.getElementById('f-service')
    for (const s of services) select.append(el('option', { value: s }, s))
    const labels = [...new Set(rows.flatMap((s) => Object.entries(s.labels).map(([k, v]) => `${k}=${v}`)))].sort()
    document.getElementById('label-list').append(...labels.map((l) => el('option', { value: l })))
  }

  function applyUrl() {
    const params = new URLSearchParams(location.search)
    for (const k of FILTERS) {
      const field = form.elements.namedItem(k)
      const value = params.get(k)
      if (field && value !== null) {
        if (field.tagName === 'SELECT' && ![...field.options].some((o) => o.value === value)) field.append(el('option', { value }, value))
        field.value = value
      }
    }
  }

  async function load() {
    try {
      // The sparklines come last: the table is drawn without waiting for them.
      const trends = api('/api/v1/trends/budget?from=now-7d&points=56')
      const [list, policies] = await Promise.all([api('/api/v1/slos'), api('/api/v1/alerts/policies')])
      performance.mark('cairn:data')
      rows = list.slos
      fillChoices()
      applyUrl()
      const data = { policies, trends: null }
      trends.then((t) => { data.trends = t; fillTrends(data); document.body.dataset.trends = 'true' }, (e) => { data.trends = { slos: {} }; fillTrends(data); showProblem(e) })
      const rerender = () => render(data)
      form.addEventListener('input', rerender)
      form.addEventListener('change', rerender)
      form.addEventListener('submit', (e) => { e.preventDefault(); rerender() })
      form.addEventListener('reset', () => setTimeout(rerender))
      for (const b of document.querySelectorAll('button[data-band]')) {
        b.addEventListener('click', () => {
          const field = document.getElementById('f-band')
          field.value = field.value === b.dataset.band ? '' : b.dataset.band
          rerender()
        })
      }
      rerender()
      // For npm run bench:ui and the tests: the table is drawn.
      performance.mark('cairn:ready')
      document.body.dataset.ready = 'true'
    } catch (e) {
      document.getElementById('summary').textContent = 'No data.'
      showProblem(e)
    }
  }

  load()
})()

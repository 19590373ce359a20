// One SLO: budget burn-down, SLI over time, burn rates against the alert
// policy, alert history, bad-event examples, the spec, and a what-if objective
// recomputed in the page (the spend does not depend on the objective).
'use strict'

;(() => {
  const { api, el, pct, sliPct, rate, count, time, stateText, alertBadges, showProblem, download } = cairn
  const root = document.getElementById('slo')
  const id = root.dataset.sloId
  /** Fewer allowed bad events than this in the window: a handful of failures spends the whole budget. */
  const LOW_TRAFFIC_BAD_EVENTS = 10
  const PERIOD_DAYS = { day: 1, week: 7, month: 30, quarter: 90, year: 365 }
  const charts = {}
  let state // { detail, alerts, history, objective (ratio, real), whatIf (ratio or null) }

  const windowSeconds = (w) => (w.kind === 'rolling' ? w.seconds : PERIOD_DAYS[w.period] * 86400)
  const durationText = (s) => (s % 86400 === 0 ? `${s / 86400}d` : s % 3600 === 0 ? `${s / 3600}h` : s % 60 === 0 ? `${s / 60}m` : `${s}s`)

  // ---- what-if: the same bad events against another allowance ----

  /** Scale of the budget under the what-if objective: (1 − o') ÷ (1 − o). */
  function budgetScale(objective) {
    if (state.whatIf === null) return 1
    return (1 - state.whatIf) / (1 - objective)
  }

  function remainingAt(budgetTotal, consumed, objective, remainingRatio) {
    if (state.whatIf === null) return remainingRatio
    const total = budgetTotal * budgetScale(objective)
    return total > 0 ? 1 - consumed / total : null
  }

  /** The current numbers under the real or the what-if objective. */
  function current() {
    const s = state.detail.status
    const eb = s.errorBudget
    const objective = state.whatIf ?? s.objective
    const scale = eb.total === null ? 1 : budgetScale(s.objective)
    const burnRates = Object.fromEntries(Object.entries(s.burnRates).map(([k, v]) => [k, v / scale]))
    return {
      objective,
      sli: s.sli,
      budgetTotal: eb.total === null ? null : eb.total * scale,
      consumed: eb.consumed,
      remaining: eb.total === null ? null : remainingAt(eb.total, eb.consumed, s.objective, eb.remainingRatio),
      burnRates,
    }
  }

  // ---- page parts ----

  function header() {
    const { slo, managedBy, status } = state.detail
    document.getElementById('slo-title').textContent = slo.displayName || slo.id
    const labels = Object.entries(slo.labels || {}).map(([k, v]) => el('span', { class: 'label' }, `${k}=${v}`))
    const windowText = slo.window.kind === 'rolling' ? `rolling ${durationText(slo.window.seconds)}` : `calendar ${slo.window.period} (${slo.window.timeZone})`
    document.getElementById('slo-meta').replaceChildren(
      `${slo.id} · service ${slo.service} · ${windowText} · ${slo.sli.kind} SLI · managed by ${managedBy === 'api' ? 'the API' : 'a file'} `,
      ...labels, ' ',
      el('span', { class: `badge state-${status.state}` }, stateText(status)), ' ',
      ...alertBadges(status.alerts),
    )
    if (slo.description) document.getElementById('slo-meta').append(el('div', { class: 'sub' }, slo.description))
  }

  function notices() {
    const s = state.detail.status
    const now = current()
    const out = []
    if (s.state === 'error') out.push(el('p', { class: 'notice notice-bad', role: 'status' }, `⚠ The last evaluation failed: ${stateText(s)}.`))
    if (s.stale) out.push(el('p', { class: 'notice notice-bad', role: 'status' }, `⚠ Stale: last evaluated ${time(s.evaluatedAt)}. The engine is not evaluating this SLO (stopped, failing, or behind), so these figures are not current and its burn-rate alerts cannot fire.`))
    if (s.state === 'no_data') out.push(el('p', { class: 'notice' }, 'No data: no events in the window. Numbers are shown as —, never as 100 %.'))
    if (s.state === 'pending') out.push(el('p', { class: 'notice' }, 'Not evaluated yet: the engine evaluates every SLO once a minute.'))
    if (s.state === 'not_computed') out.push(el('p', { class: 'notice' }, 'Prometheus computes this SLI (PromQL): see the generated rules below. cairn has no history of it.'))
    if (s.budgetExhaustedAt && state.whatIf === null) {
      // A forecast at or before the evaluation is the (estimated) instant the budget was spent.
      const spent = s.evaluatedAt && Date.parse(s.budgetExhaustedAt) <= Date.parse(s.evaluatedAt)
      out.push(el('p', { class: 'notice notice-warn', role: 'status' }, spent
        ? `⛔ The error budget ran out around ${time(s.budgetExhaustedAt)}.`
        : `⏳ At the current burn rate the budget runs out on ${time(s.budgetExhaustedAt)}.`))
    }
    if (state.detail.slo.budgeting?.method !== 'timeslices' && now.budgetTotal !== null && s.events.total > 0 && now.budgetTotal < LOW_TRAFFIC_BAD_EVENTS) {
      out.push(el('p', { class: 'notice notice-warn', role: 'status', id: 'low-traffic' },
        `⚠ Low traffic: ${count(s.events.total)} events in the window allow ${now.budgetTotal.toFixed(1)} bad ones, so ${Math.max(1, Math.ceil(now.budgetTotal))} failures spend the whole budget. Burn rates and alerts will be jumpy.`))
    }
    document.getElementById('notices').replaceChildren(...out)
  }

  function numbers() {
    const s = state.detail.status
    const now = current()
    const dd = (term, value, extra) => [el('dt', {}, term), el('dd', { 'data-field': extra }, value)]
    const remainingText = now.remaining === null ? '—' : now.remaining < 0 ? `${pct(now.remaining)} (overspent)` : pct(now.remaining)
    document.getElementById('numbers').replaceChildren(
      ...dd('Objective', sliPct(now.objective) + (state.whatIf === null ? '' : ' (what-if)'), 'objective'),
      ...dd('SLI over the window', sliPct(s.sli), 'sli'),
      ...dd('Remaining budget', remainingText, 'remaining'),
      ...dd('Bad events / allowed', now.budgetTotal === null ? '—' : `${count(now.consumed)} of ${count(now.budgetTotal)}`, 'consumed'),
      ...dd('Events in the window', s.events.total === null ? '—' : `${count(s.events.total)} (${count(s.events.bad)} bad)`, 'events'),
      ...dd('Evaluated', time(s.evaluatedAt), 'evaluated'),
    )
  }

  /** The series of the two charts, from the history, under the current objective. */
  function series() {
    const h = state.history.evaluations
    const rangeStart = Date.parse(state.history.from) / 1000
    const win = windowSeconds(state.detail.slo.window)
    const xs = h.map((e) => Date.parse(e.evaluatedAt) / 1000)
    const remaining = h.map((e) => {
      const r = e.status === 'ok' ? remainingAt(e.budgetTotal, e.budgetConsumed, e.objective, e.budgetRemainingRatio) : null
      return r === null ? null : r * 100
    })
    const even = xs.map((x) => Math.max(0, 100 * (1 - (x - rangeStart) / win)))
    const objective = current().objective * 100
    const sli = h.map((e) => (e.status === 'ok' && e.sli !== null ? e.sli * 100 : null))
    const breach = sli.map((v) => (v !== null && v < objective ? v : null))
    return { xs, remaining, even, sli, objectiveLine: xs.map(() => objective), breach }
  }

  function css(name) {
    return getComputedStyle(document.body).getPropertyValue(name).trim()
  }

  function chart(key, data, seriesOpts, yLabel) {
    const target = document.getElementById(`${key}-chart`)
    if (charts[key]) {
      charts[key].setData(data)
      return
    }
    const width = Math.max(300, target.clientWidth || 800)
    const axis = { stroke: css('--fg-muted'), grid: { stroke: css('--grid') }, ticks: { stroke: css('--grid') } }
    charts[key] = new uPlot({
      width, height: 240,
      series: [{}, ...seriesOpts],
      axes: [axis, Object.assign({ label: yLabel, values: (u, vals) => vals.map((v) => `${v} %`), size: 70 }, axis)],
      scales: { x: { time: true } },
      legend: { live: false },
      cursor: { drag: { x: false, y: false } },
    }, data, target)
    new ResizeObserver(() => charts[key].setSize({ width: Math.max(300, target.clientWidth), height: 240 })).observe(target)
  }

  function dataTable(key, head, rows) {
    const table = document.getElementById(`${key}-table`)
    const caption = el('caption', {}, document.getElementById(`${key}-title`).textContent)
    table.replaceChildren(caption, el('thead', {}, el('tr', {}, head.map((h) => el('th', { scope: 'col' }, h)))), el('tbody', {}, rows.map((r) => el('tr', {}, r.map((c, i) => (i === 0 ? el('th', { scope: 'row' }, c) : el('td', { class: 'num' }, c)))))))
  }

  function charts_() {
    const s = series()
    const when = (x) => time(new Date(x * 1000).toISOString())
    const fmt = (v) => (v === null ? '—' : `${v.toFixed(2)} %`)
    chart('burndown', [s.xs, s.remaining, s.even], [
      { label: 'remaining budget', stroke: css('--accent'), width: 2, fill: css('--accent-fill'), spanGaps: false },
      { label: 'even spend', stroke: css('--fg-muted'), width: 1, dash: [6, 4] },
    ], 'remaining')
    const known = s.remaining.filter((v) => v !== null)
    document.getElementById('burndown-summary').textContent = known.length === 0
      ? 'No evaluations with data in this range.'
      : `${known.length} points from ${when(s.xs[0])} to ${when(s.xs.at(-1))}: remaining budget went from ${fmt(known[0])} to ${fmt(known.at(-1))} (lowest ${fmt(Math.min(...known))}); the even-spend line ends at ${fmt(s.even.at(-1))}.`
    dataTable('burndown', ['time', 'remaining budget', 'even spend'], s.xs.map((x, i) => [when(x), fmt(s.remaining[i]), fmt(s.even[i])]))

    chart('sli', [s.xs, s.sli, s.objectiveLine, s.breach], [
      { label: 'SLI', stroke: css('--accent'), width: 2, spanGaps: false },
      { label: 'objective', stroke: css('--warn'), width: 1, dash: [6, 4] },
      { label: 'breach (below objective)', stroke: css('--bad'), width: 0, points: { show: true, size: 7, fill: css('--bad'), stroke: css('--bad') } },
    ], 'SLI')
    const breaches = s.breach.filter((v) => v !== null).length
    const sliKnown = s.sli.filter((v) => v !== null)
    const fmtSli = (v) => (v === null ? '—' : `${v.toFixed(3)} %`)
    document.getElementById('sli-summary').textContent = sliKnown.length === 0
      ? 'No SLI values in this range.'
      : `SLI between ${fmtSli(Math.min(...sliKnown))} and ${fmtSli(Math.max(...sliKnown))} against an objective of ${fmtSli(s.objectiveLine[0])}; ${breaches} of ${sliKnown.length} points below the objective (breaches).`
    dataTable('sli', ['time', 'SLI', 'objective', 'breach'], s.xs.map((x, i) => [when(x), fmtSli(s.sli[i]), fmtSli(s.objectiveLine[i]), s.breach[i] === null ? 'no' : 'yes']))
  }

  function burnTable() {
    const policy = state.alerts.policy
    const burn = current().burnRates
    const head = ['severity', 'short window', 'burn (short)', 'long window', 'burn (long)', 'threshold', 'firing']
    const rows = policy.windows.map((w) => {
      const short = burn[w.shortWindow], long = burn[w.longWindow]
      const over = (v) => v !== undefined && v >= w.threshold
      const firing = over(short) && over(long)
      const cell = (v) => el('td', { class: `num burn-${v === undefined ? 'none' : over(v) ? w.severity : 'ok'}` }, rate(v), over(v) ? ' ▲' : '')
      return el('tr', { class: firing ? 'firing' : '' },
        el('th', { scope: 'row' }, `${w.severity} (${w.speed}, ${w.budgetPercent} % of budget)`),
        el('td', {}, w.shortWindow), cell(short), el('td', {}, w.longWindow), cell(long),
        el('td', { class: 'num' }, `${rate(w.threshold)}×`),
        el('td', {}, el('span', { class: `badge ${firing ? 'alert-firing' : 'alert-inactive'}` }, firing ? '▲ firing' : 'no')))
    })
    document.getElementById('burn-table').replaceChildren(
      el('caption', {}, `Policy: ${policy.source}, period ${durationText(policy.periodSeconds)}. An alert fires when both windows burn at or above the threshold.${state.whatIf === null ? '' : ' (What-if objective.)'}`),
      el('thead', {}, el('tr', {}, head.map((h) => el('th', { scope: 'col' }, h)))), el('tbody', {}, rows))
  }

  /** Stretches of the history where both windows of a policy pair were over its threshold. */
  function conditionSpans() {
    const out = []
    const h = state.history.evaluations
    for (const w of state.alerts.policy.windows) {
      let start = null
      h.forEach((e, i) => {
        const on = (e.burnRates[w.shortWindow] ?? 0) >= w.threshold && (e.burnRates[w.longWindow] ?? 0) >= w.threshold
        if (on && start === null) start = e.evaluatedAt
        if ((!on || i === h.length - 1) && start !== null) {
          out.push({ w, start, end: on ? null : e.evaluatedAt })
          start = null
        }
      })
    }
    return out.sort((a, b) => b.start.localeCompare(a.start))
  }

  function alertHistory() {
    const recorded = state.alerts.history
    const spans = conditionSpans()
    const box = document.getElementById('alert-history')
    const parts = [el('h3', {}, 'Recorded alert state')]
    parts.push(recorded.length === 0 ? el('p', { class: 'muted' }, 'No alert has changed state for this SLO.') : el('table', { class: 'data', id: 'alert-changes' },
      el('thead', {}, el('tr', {}, ['severity', 'state', 'fired', 'resolved', 'changed'].map((h) => el('th', { scope: 'col' }, h)))),
      el('tbody', {}, recorded.map((r) => el('tr', {}, el('th', { scope: 'row' }, r.severity), el('td', {}, el('span', { class: `badge alert-${r.state}` }, r.state)), el('td', {}, time(r.firedAt)), el('td', {}, time(r.resolvedAt)), el('td', {}, time(r.updatedAt))))))
    )
    parts.push(el('h3', {}, 'Burn-rate conditions in this range (from the evaluation history)'))
    parts.push(spans.length === 0 ? el('p', { class: 'muted' }, 'No alert condition held in this range.') : el('table', { class: 'data' },
      el('thead', {}, el('tr', {}, ['alert', 'windows', 'from', 'until'].map((h) => el('th', { scope: 'col' }, h)))),
      el('tbody', {}, spans.map((s) => el('tr', {}, el('th', { scope: 'row' }, `${s.w.severity} (${s.w.speed})`), el('td', {}, `${s.w.shortWindow}/${s.w.longWindow} ≥ ${rate(s.w.threshold)}×`), el('td', {}, time(s.start)), el('td', {}, s.end ? time(s.end) : 'still holding')))))
    )
    box.replaceChildren(...parts)
  }

  /** Example bad events for span and log SLIs, from the stored telemetry. */
  async function examples() {
    const sli = state.detail.slo.sli
    const service = sli.service && sli.service.op === 'eq' ? sli.service.value : state.detail.slo.service
    const section = document.getElementById('examples-section')
    const box = document.getElementById('examples')
    let note = ''
    let items = []
    if (sli.kind === 'spans') {
      const q = new URLSearchParams({ service, from: 'now-1d', limit: '10' })
      if (sli.spanName && sli.spanName.op === 'eq') q.set('spanName', sli.spanName.value)
      if (sli.bad.kind === 'error') q.set('status', 'error')
      else q.set('minDurationMs', String(sli.bad.thresholdNs / 1e6))
      note = `Spans of ${service} in the last day ${sli.bad.kind === 'error' ? 'with status Error' : `lasting at least ${sli.bad.thresholdNs / 1e6} ms`} (the SLI's attribute filters are not applied here).`
      items = (await api(`/api/v1/traces?${q}`)).spans.map((s) => el('tr', {}, el('th', { scope: 'row' }, time(s.startTime)), el('td', {}, s.name), el('td', { class: 'num' }, `${(Number(s.durationNs) / 1e6).toFixed(1)} ms`), el('td', {}, s.status.message ? `${s.status.code}: ${s.status.message}` : s.status.code), el('td', { class: 'mono' }, s.traceId)))
    } else if (sli.kind === 'logs') {
      const q = new URLSearchParams({ service, from: 'now-1d', limit: '10' })
      if (sli.bad.kind === 'severity') q.set('severity', String(sli.bad.atLeast))
      note = sli.bad.kind === 'severity' ? `Log records of ${service} in the last day at severity ${sli.bad.atLeast} or above.` : `The latest log records of ${service} (the SLI's match is not applied here).`
      items = (await api(`/api/v1/logs?${q}`)).logs.map((r) => el('tr', {}, el('th', { scope: 'row' }, time(r.time)), el('td', {}, r.severityText || String(r.severityNumber)), el('td', {}, r.body), el('td', { class: 'mono' }, r.traceId)))
    } else return
    section.hidden = false
    const head = sli.kind === 'spans' ? ['time', 'span', 'duration', 'status', 'trace id'] : ['time', 'severity', 'body', 'trace id']
    box.replaceChildren(el('p', { class: 'hint' }, note), items.length === 0 ? el('p', { class: 'muted' }, 'None stored in the last day.') : el('table', { class: 'data', id: 'examples-table' }, el('thead', {}, el('tr', {}, head.map((h) => el('th', { scope: 'col' }, h)))), el('tbody', {}, items)))
  }

  /** Span, log, counter and histogram SLIs: the attribute values behind the last hour's bad events (GET …/attribution, docs/attribution.md). */
  async function attribution() {
    const kind = state.detail.slo.sli.kind
    if (!['spans', 'logs', 'metrics', 'histogram'].includes(kind)) return
    const section = document.getElementById('attribution-section')
    const box = document.getElementById('attribution')
    section.hidden = false
    box.replaceChildren(el('p', { class: 'muted' }, 'Reading the last hour…'))
    const a = await api(`/api/v1/slos/${encodeURIComponent(id)}/attribution?from=now-1h`)
    const summary = el('p', { class: 'hint' }, `${a.bad} bad of ${a.total} events in the last hour (${pct(a.errorRatio)}; the objective allows ${pct(a.allowedErrorRatio)}). Attributes ranked by how much more of the errors than of the traffic one value holds.${a.estimated ? ' Shares estimated on a sample of the hour (docs/attribution.md, "Large ranges").' : ''}`)
    if (a.bad === 0 || a.dimensions.length === 0) {
      box.replaceChildren(summary, el('p', { class: 'muted' }, a.bad === 0 ? 'No bad events in the last hour.' : 'No attribute concentrates the errors: they are spread like the traffic.'))
      return
    }
    const seriesText = (s) => `${s.metric}{${Object.entries(s.attributes).map(([k, v]) => `${k}="${v}"`).join(', ')}}`
    const traceLink = (t) => el('a', { class: 'mono', href: `/api/v1/traces/${t}` }, t.slice(0, 12))
    const rows = a.dimensions.flatMap((d) => d.values.slice(0, 3).map((v, i) => el('tr', {},
      i === 0 ? el('th', { scope: 'row', rowspan: Math.min(3, d.values.length) }, d.key, el('br'), el('span', { class: 'muted' }, `concentration ${d.concentration.toFixed(2)}`)) : null,
      el('td', {}, v.value === null ? el('span', { class: 'muted' }, '(not set)') : v.value),
      el('td', { class: 'num' }, pct(v.budgetShare, 1)),
      el('td', { class: 'num' }, `${v.bad} / ${v.total}`),
      el('td', { class: 'num' }, pct(v.errorRatio)),
      el('td', {}, v.exampleSeries ? v.exampleSeries.slice(0, 2).map((s) => el('div', { class: 'mono' }, seriesText(s))) : v.exampleTraceIds.slice(0, 3).flatMap((t, j) => (j ? [' ', traceLink(t)] : [traceLink(t)]))))))
    const head = ['attribute', 'value', 'share of the burn', 'bad / events', 'error ratio', kind === 'metrics' || kind === 'histogram' ? 'example series' : 'example traces']
    box.replaceChildren(summary, el('table', { class: 'data', id: 'attribution-table' }, el('thead', {}, el('tr', {}, head.map((h) => el('th', { scope: 'col' }, h)))), el('tbody', {}, rows)))
  }

  /** YAML of plain JSON data, enough for showing the model (strings quoted when YAML would misread them). */
  function yaml(value, indent = '') {
    const scalar = (v) => (typeof v === 'string' ? (/^[\w./@-][\w ./@:-]*$/.test(v) && !/^(true|false|null|yes|no|~|[\d.+-]+)$/i.test(v) && !/:\s|\s$/.test(v) ? v : JSON.stringify(v)) : String(v))
    if (Array.isArray(value)) return value.length === 0 ? ' []' : value.map((v) => `\n${indent}- ${typeof v === 'object' && v !== null ? yaml(v, `${indent}  `).trimStart() : scalar(v)}`).join('')
    if (value && typeof value === 'object') {
      const entries = Object.entries(value)
      if (entries.length === 0) return ' {}'
      return entries.map(([k, v]) => `\n${indent}${k}:${v && typeof v === 'object' ? yaml(v, `${indent}  `) : ` ${scalar(v)}`}`).join('')
    }
    return ` ${scalar(value)}`
  }

  function spec() {
    const { slo, managedBy } = state.detail
    const src = slo.source
    document.getElementById('spec-source').textContent = managedBy === 'api'
      ? `Created through the API (PUT /api/v1/slos/${slo.id}), ${src.format} format. Shown as cairn's model of it:`
      : `From ${src.file}, line ${src.line}, column ${src.column} (${src.format} format). Shown as cairn's model of it:`
    document.getElementById('spec-yaml').textContent = yaml(slo).trimStart()
    document.getElementById('download-dashboard').addEventListener('click', () => download(`/api/v1/dashboards/slo/${encodeURIComponent(id)}`, `${id}.dashboard.json`).catch(showProblem))
    document.getElementById('download-rules').addEventListener('click', () => download(`/api/v1/rules?slo=${encodeURIComponent(id)}`, `${id}.rules.yaml`).catch(showProblem))
  }

  function refresh() {
    numbers()
    notices()
    charts_()
    burnTable()
  }

  function whatIf() {
    const input = document.getElementById('whatif-objective')
    const note = document.getElementById('whatif-note')
    const real = state.detail.status.objective
    input.value = String(+(real * 100).toFixed(6))
    const apply = () => {
      const v = Number(input.value)
      if (input.value === '' || !Number.isFinite(v) || v <= 0 || v >= 100) {
        note.textContent = 'Enter an objective above 0 and below 100.'
        input.setAttribute('aria-invalid', 'true')
        return
      }
      input.removeAttribute('aria-invalid')
      state.whatIf = Math.abs(v / 100 - real) < 1e-12 ? null : v / 100
      const now = current()
      note.textContent = state.whatIf === null ? '' : `What-if at ${sliPct(state.whatIf)}: remaining budget ${pct(now.remaining)} (at the real ${sliPct(real)}: ${pct(state.detail.status.errorBudget.remainingRatio)}).`
      refresh()
    }
    input.addEventListener('input', apply)
    document.getElementById('whatif').addEventListener('submit', (e) => { e.preventDefault(); apply() })
    document.getElementById('whatif').addEventListener('reset', (e) => { e.preventDefault(); input.value = String(+(real * 100).toFixed(6)); apply() })
  }

  async function load() {
    try {
      const alertsCall = api(`/api/v1/alerts/${encodeURIComponent(id)}`)
      alertsCall.catch(() => {}) // awaited below; a failure is reported there
      const detail = await api(`/api/v1/slos/${encodeURIComponent(id)}`)
      // The history's range is the SLO's window, known from its spec.
      const history = await api(`/api/v1/slos/${encodeURIComponent(id)}/history?from=now-${durationText(windowSeconds(detail.slo.window))}`)
      const alerts = await alertsCall
      performance.mark('cairn:data')
      state = { detail, alerts, history, whatIf: null }
      document.title = `${detail.slo.displayName || id} · cairn`
      header()
      spec()
      whatIf()
      refresh()
      alertHistory()
      performance.mark('cairn:ready')
      document.body.dataset.ready = 'true'
      await Promise.all([
        examples().catch((e) => { document.getElementById('examples-section').hidden = false; document.getElementById('examples').textContent = `Could not load examples: ${e.message}` }),
        attribution().catch((e) => { document.getElementById('attribution').textContent = `Could not load the attribution: ${e.message}` }),
      ])
    } catch (e) {
      showProblem(e)
      if (e.status === 404) document.getElementById('slo-title').textContent = `No SLO with id “${id}”`
    }
  }

  load()
})()

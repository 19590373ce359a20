import { describe, expect, it } from 'vitest'
import { formatSpecError, loadSloFiles, parseSloDocuments } from '../../slo-engine/index.ts'

const parse = (text: string) => parseSloDocuments(text, 'slos/x.yaml')
const errorsOf = (text: string) => parse(text).errors.map(formatSpecError)

const slo = (spec: string, metadata = 'metadata: { name: availability, service: checkout }') => `apiVersion: cairn/v1
kind: SLO
${metadata}
spec:
${spec
  .trim()
  .split('\n')
  .map((l) => `  ${l}`)
  .join('\n')}
`

describe('cairn/v1', () => {
  it('reads the issue example into the model', () => {
    const { slos, errors } = parse(`apiVersion: cairn/v1
kind: SLO
metadata: { name: checkout-availability, service: checkout, labels: { team: payments } }
spec:
  description: 99.9% of checkout requests succeed
  objective: 99.9
  window: 30d
  budgeting: occurrences
  sli:
    spans: { service: checkout, spanName: "POST /pay", spanKind: Server, attributes: { http.route: /pay }, bad: error }
  alerting: { name: CheckoutBudgetBurn, page: { labels: { severity: critical } }, ticket: { enabled: false }, runbook: "https://runbooks.example.com/pay" }
`)
    expect(errors).toEqual([])
    expect(slos).toEqual([
      {
        id: 'checkout-checkout-availability',
        name: 'checkout-availability',
        service: 'checkout',
        description: '99.9% of checkout requests succeed',
        labels: { team: 'payments' },
        objectivePercent: 99.9,
        window: { kind: 'rolling', seconds: 2592000 },
        budgeting: { method: 'occurrences' },
        sli: {
          kind: 'spans',
          service: { op: 'eq', value: 'checkout' },
          spanName: { op: 'eq', value: 'POST /pay' },
          spanKind: 'Server',
          attributes: [{ key: 'http.route', op: 'eq', value: '/pay' }],
          resourceAttributes: [],
          bad: { kind: 'error' },
        },
        alerting: {
          name: 'CheckoutBudgetBurn',
          labels: {},
          annotations: {},
          page: { enabled: true, labels: { severity: 'critical' }, annotations: {} },
          ticket: { enabled: false, labels: {}, annotations: {} },
          runbook: 'https://runbooks.example.com/pay',
        },
        source: { format: 'cairn', file: 'slos/x.yaml', line: 1, column: 1 },
      },
    ])
  })

  it('reads every SLI kind, matcher form, calendar window and budgeting method', () => {
    const { slos, errors } = parse(
      [
        slo(`objective: 99
window: { calendar: month, timeZone: Europe/Berlin }
budgeting: { timeslices: { slice: 5m, target: 95 } }
sli:
  spans: { spanName: { re: "GET /items/.*" }, attributes: { a: { neq: x }, b: { nre: "y.*" } }, resourceAttributes: { k8s.namespace.name: prod }, bad: { latency: { threshold: 300ms } } }`),
        slo(
          `objective: 99.5
window: 7d
budgeting: { ratioTimeslices: { slice: 1m } }
sli:
  logs: { service: search, body: { re: "search .*" }, bad: { severity: warn } }`,
          'metadata: { name: logs, service: search }',
        ),
        slo(
          `objective: 99.5
window: 1d
sli:
  logs: { bad: { body: { re: ".*timeout.*" }, attributes: { outcome: failed } } }`,
          'metadata: { name: logs-match, service: search }',
        ),
        slo(
          `objective: 99.9
window: { calendar: quarter }
sli:
  metrics: { total: { metric: requests_total }, bad: { metric: requests_total, service: api, attributes: { code: { re: "5.." } } } }`,
          'metadata: { name: metrics, service: api }',
        ),
        slo(
          `objective: 90
window: { rolling: 90d }
sli:
  histogram: { metric: latency_seconds, attributes: { route: /x }, threshold: 0.25 }`,
          'metadata: { name: histogram, service: api }',
        ),
        slo(
          `objective: 99
window: 28d
sli:
  promql: { errorQuery: 'sum(rate(errors[{{.window}}]))', totalQuery: 'sum(rate(total[{{.window}}]))' }`,
          'metadata: { name: promql, service: api }',
        ),
      ].join('---\n'),
    )
    expect(errors.map(formatSpecError)).toEqual([])
    const [spans, logs, logsMatch, metrics, histogram, promql] = slos
    expect(spans!.window).toEqual({ kind: 'calendar', period: 'month', timeZone: 'Europe/Berlin' })
    expect(spans!.budgeting).toEqual({ method: 'timeslices', sliceSeconds: 300, sliceTarget: 0.95 })
    expect(spans!.sli).toEqual({
      kind: 'spans',
      spanName: { op: 're', value: 'GET /items/.*' },
      attributes: [
        { key: 'a', op: 'neq', value: 'x' },
        { key: 'b', op: 'nre', value: 'y.*' },
      ],
      resourceAttributes: [{ key: 'k8s.namespace.name', op: 'eq', value: 'prod' }],
      bad: { kind: 'latency', thresholdNs: 300_000_000 },
    })
    expect(spans!.alerting.name).toBe('CheckoutAvailabilityBudgetBurn')
    expect(logs!.budgeting).toEqual({ method: 'ratioTimeslices', sliceSeconds: 60 })
    expect(logs!.sli).toEqual({ kind: 'logs', service: { op: 'eq', value: 'search' }, body: { op: 're', value: 'search .*' }, attributes: [], resourceAttributes: [], bad: { kind: 'severity', atLeast: 13 } })
    expect(logsMatch!.sli).toMatchObject({ bad: { kind: 'match', body: { op: 're', value: '.*timeout.*' }, attributes: [{ key: 'outcome', op: 'eq', value: 'failed' }] } })
    expect(metrics!.window).toEqual({ kind: 'calendar', period: 'quarter', timeZone: 'UTC' })
    expect(metrics!.sli).toEqual({
      kind: 'metrics',
      total: { metric: 'requests_total', attributes: [] },
      bad: { metric: 'requests_total', service: { op: 'eq', value: 'api' }, attributes: [{ key: 'code', op: 're', value: '5..' }] },
    })
    expect(histogram!.window).toEqual({ kind: 'rolling', seconds: 90 * 86400 })
    expect(histogram!.sli).toEqual({ kind: 'histogram', metric: 'latency_seconds', attributes: [{ key: 'route', op: 'eq', value: '/x' }], thresholdBound: 0.25 })
    expect(promql!.sli).toEqual({ kind: 'promql', form: 'events', errorQuery: 'sum(rate(errors[{{.window}}]))', totalQuery: 'sum(rate(total[{{.window}}]))' })
    expect(slos.map((s) => s.source.line)).toEqual([1, 11, 21, 30, 39, 48])
  })

  it('names file, line, column and what was expected for each mistake', () => {
    expect(errorsOf(slo('objective: 999\nwindow: 30d\nsli: { promql: { errorRatioQuery: x } }'))).toEqual([
      'slos/x.yaml:5:14: spec.objective: expected an objective above 0 and below 100 (percent) (got 999)',
    ])
    expect(errorsOf(slo('objective: 100\nwindow: 30d\nsli: { promql: { errorRatioQuery: x } }'))).toEqual([
      'slos/x.yaml:5:14: spec.objective: expected an objective below 100: 100% leaves no error budget, so budgets and burn rates are undefined (got 100)',
    ])
    expect(errorsOf(slo('objetive: 99\nwindow: 30d\nsli: { promql: { errorRatioQuery: x } }'))).toEqual([
      'slos/x.yaml:4:1: spec.objective: is required (expected the objective as a percentage, e.g. 99.9)',
      'slos/x.yaml:5:3: unknown key spec.objetive',
    ])
    expect(errorsOf(slo('objective: 99\nwindow: 30 days\nsli: { promql: { errorRatioQuery: x } }'))).toEqual([
      'slos/x.yaml:6:11: spec.window: expected the window as a duration such as 5m, 1h or 30d, or { calendar: month, timeZone: Europe/Berlin } (got "30 days")',
    ])
    expect(errorsOf(slo('objective: 99\nwindow: 90s\nsli: { promql: { errorRatioQuery: x } }'))).toEqual([
      'slos/x.yaml:6:11: spec.window: expected the window in whole minutes (cairn rolls events up per minute) (got "90s")',
    ])
    expect(errorsOf(slo('objective: 99\nwindow: { calendar: month, timeZone: Mars/Olympus }\nsli: { promql: { errorRatioQuery: x } }'))).toEqual([
      'slos/x.yaml:6:40: spec.window.timeZone: expected an IANA time zone name such as Europe/Berlin or UTC (got "Mars/Olympus")',
    ])
    expect(errorsOf(slo('objective: 99\nwindow: 30d\nsli: { spans: { bad: error }, logs: { bad: { severity: error } } }'))).toEqual([
      'slos/x.yaml:7:8: spec.sli: expected exactly one SLI kind: spans, logs, metrics, histogram, promql (got spans and logs)',
    ])
    expect(errorsOf(slo('objective: 99\nwindow: 30d\nsli: { spans: { spanName: { re: "(?!health)" }, bad: error } }'))).toEqual([
      'slos/x.yaml:7:35: spec.sli.spans.spanName.re: look-around assertions are not supported (ClickHouse matches with RE2) (got "(?!health)")',
    ])
    expect(errorsOf(slo('objective: 99\nwindow: 30d\nsli: { spans: { spanKind: server, bad: error } }'))).toEqual([
      'slos/x.yaml:7:29: spec.sli.spans.spanKind: expected a span kind: one of Unspecified, Internal, Server, Client, Producer, Consumer (got "server")',
    ])
    expect(errorsOf(slo('objective: 99\nwindow: 30d\nsli: { metrics: { total: { metric: t }, good: { metric: g }, bad: { metric: b } } }'))).toEqual([
      'slos/x.yaml:7:19: spec.sli.metrics: expected exactly one of good or bad beside total',
    ])
    expect(errorsOf(slo('objective: 99\nwindow: 30d\nbudgeting: { timeslices: { slice: 7m, target: 95 } }\nsli: { promql: { errorRatioQuery: x } }'))).toEqual([
      'slos/x.yaml:7:14: spec.budgeting: expected a slice that divides a day evenly, such as 1m, 5m, 1h (got 7m)',
    ])
    expect(errorsOf(slo('objective: 99\nwindow: 30d\nsli: { promql: { errorRatioQuery: x } }', 'metadata: { name: "a b", service: checkout }'))).toEqual([
      'slos/x.yaml:3:19: metadata.name: expected the SLO name: letters, digits, ".", "_" or "-", starting with a letter or digit (got "a b")',
    ])
  })

  it('reads the optional attribution keys, once each, and names a bad one', () => {
    const sli = 'sli: { spans: { service: checkout, bad: error } }'
    expect(parse(slo(`objective: 99\nwindow: 30d\n${sli}\nattribution: [http.route, service.version, http.route]`)).slos[0]!.attribution).toEqual(['http.route', 'service.version'])
    expect(parse(slo(`objective: 99\nwindow: 30d\n${sli}`)).slos[0]!.attribution).toBeUndefined()
    expect(errorsOf(slo(`objective: 99\nwindow: 30d\n${sli}\nattribution: [http.route, ""]`))).toEqual([expect.stringMatching(/^slos\/x\.yaml:\d+:\d+: .*expected an attribute key/)])
  })

  it('reports YAML syntax errors, unknown formats and duplicate ids with positions', () => {
    expect(errorsOf('apiVersion: cairn/v1\nkind: SLO\nmetadata: { name: x\n')).toEqual([expect.stringMatching(/^slos\/x\.yaml:4:1: invalid YAML: Flow map/)])
    expect(errorsOf('apiVersion: example.com/v9\nkind: SLO\n')).toEqual([
      'slos/x.yaml:1:13: apiVersion: unsupported "example.com/v9"; expected cairn/v1, openslo/v1, openslo/v1alpha or sloth.slok.dev/v1',
    ])
    expect(errorsOf('- just\n- a list\n')).toEqual([
      'slos/x.yaml:1:1: expected a mapping with apiVersion and kind (cairn/v1, openslo/v1) or version: prometheus/v1 (Sloth)',
    ])
    const one = slo('objective: 99\nwindow: 30d\nsli: { promql: { errorRatioQuery: x } }')
    expect(errorsOf(`${one}---\n${one}`)).toEqual(['slos/x.yaml:9:1: duplicate SLO id "checkout-availability" (first defined at slos/x.yaml:1:1)'])
    expect(parse('# only a comment\n---\n').errors).toEqual([])
  })
})

describe('OpenSLO v1 with Prometheus sources', () => {
  it('resolves an SLI and a DataSource referenced from another file, one SLO per objective', async () => {
    const { mkdtempSync, writeFileSync, rmSync } = await import('node:fs')
    const { join } = await import('node:path')
    const { tmpdir } = await import('node:os')
    const dir = mkdtempSync(join(tmpdir(), 'cairn-openslo-'))
    try {
      writeFileSync(
        join(dir, 'a-slo.yaml'),
        `apiVersion: openslo/v1
kind: SLO
metadata: { name: latency, labels: { team: [a, b], cost.centre: x } }
spec:
  service: web
  indicatorRef: web-latency
  timeWindow: [{ duration: 1M, isRolling: false, calendar: { startTime: "2024-01-01 00:00:00", timeZone: Europe/Paris } }]
  budgetingMethod: Occurrences
  alertPolicies: [{ alertPolicyRef: fast-burn }]
  objectives:
    - { displayName: fast, target: 0.99 }
    - { displayName: very fast, targetPercent: 99.95 }
`,
      )
      writeFileSync(
        join(dir, 'b-sli.yaml'),
        `apiVersion: openslo/v1
kind: DataSource
metadata: { name: prom }
spec: { type: Prometheus, connectionDetails: { url: http://prometheus:9090 } }
---
apiVersion: openslo/v1
kind: SLI
metadata: { name: web-latency }
spec:
  ratioMetric:
    counter: true
    bad: { metricSource: { metricSourceRef: prom, spec: { query: 'sum(rate(errors[5m]))' } } }
    total: { metricSource: { type: Prometheus, spec: { query: 'sum(rate(total[5m]))' } } }
---
apiVersion: openslo/v1
kind: SLO
metadata: { name: raw }
spec:
  service: web
  indicator:
    metadata: { name: raw }
    spec: { ratioMetric: { rawType: success, raw: { metricSource: { type: prometheus, spec: { query: 'avg(up)' } } } } }
  timeWindow: [{ duration: 4w, isRolling: true }]
  budgetingMethod: Timeslices
  objectives: [{ target: 0.9, timeSliceTarget: 0.8, timeSliceWindow: 5 }]
`,
      )
      const { slos, errors } = await loadSloFiles([dir])
      expect(errors).toEqual([])
      expect(slos.map((s) => [s.id, s.objectivePercent, s.displayName])).toEqual([
        ['web-latency-0', 99, 'fast'],
        ['web-latency-1', 99.95, 'very fast'],
        ['web-raw', 90, undefined],
      ])
      expect(slos[0]!.window).toEqual({ kind: 'calendar', period: 'month', timeZone: 'Europe/Paris' })
      expect(slos[0]!.labels).toEqual({ team: 'a,b', cost_centre: 'x' })
      expect(slos[0]!.sli).toEqual({ kind: 'promql', form: 'events', errorQuery: 'sum(rate(errors[5m]))', totalQuery: 'sum(rate(total[5m]))' })
      expect(slos[0]!.alerting.page.enabled).toBe(true)
      expect(slos[1]!.source.line).toBe(12)
      expect(slos[2]!.sli).toEqual({ kind: 'promql', form: 'raw', errorRatioQuery: '1 - (avg(up))' })
      expect(slos[2]!.window).toEqual({ kind: 'rolling', seconds: 28 * 86400 })
      expect(slos[2]!.budgeting).toEqual({ method: 'timeslices', sliceSeconds: 300, sliceTarget: 0.8 })
      expect(slos[2]!.alerting.page.enabled).toBe(false)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })

  it('says which reference is missing', () => {
    const { errors } = parseSloDocuments(
      `apiVersion: openslo/v1
kind: SLO
metadata: { name: x }
spec: { service: web, indicatorRef: nope, budgetingMethod: Occurrences, objectives: [{ target: 0.9 }] }
`,
      'o.yaml',
    )
    expect(errors.map(formatSpecError)).toEqual(['o.yaml:4:37: spec.indicatorRef: no SLI named "nope" in the files read'])
  })
})

describe('limits that hold for every format', () => {
  it('refuses a rolling window longer than a year', () => {
    expect(errorsOf(slo('objective: 99\nwindow: 400d\nsli: { promql: { errorRatioQuery: x } }'))).toEqual([
      'slos/x.yaml:6:11: spec.window: expected a rolling window of at most 366d (got 400d); use a calendar year for longer',
    ])
  })
})

import { spawnSync } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { parser } from '@prometheus-io/lezer-promql'
import { stringify } from 'yaml'
import { generateDashboards } from '../../dashboards/index.ts'
import { generatePrometheusRules } from '../../alerts/index.ts'
import { ALL_TEST_SLOS, checkoutAvailability, hostile, slothEvents } from '../fixtures/slos.ts'
import { panelTargets } from '../fixtures/dashboard-targets.ts'
import { tempDir } from '../support/temp.ts'
import { requireTool } from '../support/needs.ts'

// Every PromQL expression of every generated Prometheus panel parses, and
// evaluates in promtool to the expected numbers against series that
// Prometheus would hold: cairn's /metrics gauges, and what cairn's generated
// rules record and alert from them and from a PromQL SLI's raw counters.

const dir = tempDir()
afterAll(() => dir.remove())

const dashboards = generateDashboards(ALL_TEST_SLOS, ['prometheus'])
const targets = dashboards.flatMap((d) => panelTargets(d.dashboard).map((t) => ({ ...t, dashboard: d })))

function parseErrors(expr: string): string[] {
  const errors: string[] = []
  parser.parse(expr).iterate({
    enter: (node) => {
      if (node.type.isError) errors.push(`error at ${node.from}: ${JSON.stringify(expr.slice(node.from, node.from + 20))}`)
    },
  })
  return errors
}

describe('Prometheus dashboards', () => {
  it('target the Prometheus data source with a PromQL expression', () => {
    expect(targets.length).toBeGreaterThan(30)
    for (const { target } of targets) expect(target).toMatchObject({ datasource: { type: 'prometheus', uid: 'cairn-prometheus' }, expr: expect.any(String) })
  })

  it.each(targets.map((t) => [`${t.dashboard.path} / ${t.panel} / ${t.refId}`, String(t.target.expr)] as const))('%s parses', (_name, expr) => {
    expect(parseErrors(expr)).toEqual([])
  })

  it('the parser check catches a broken expression', () => {
    expect(parseErrors('sum(rate(x[5m])')).not.toEqual([])
  })
})

// ---- evaluation in promtool -------------------------------------------------

const cairnLabels = (slo: typeof checkoutAvailability) => ({ slo: slo.id, service: slo.service, name: slo.name })
const slothBase = { sloth_id: slothEvents.id, sloth_service: 'myservice', sloth_slo: 'requests-availability' }
/** Over 1× in both 6h and 3d: the ticket alert's slow pair fires; no page pair is over its factor in both windows. */
const BURN = { '5m': 2, '30m': 1.5, '1h': 1.25, '2h': 1, '6h': 1.5, '1d': 0.5, '3d': 1.25 } as const

function series(name: string, labels: Record<string, string>, values: string) {
  const sel = Object.entries(labels).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(',')
  return { series: `${name}{${sel}}`, values }
}
const labelSet = (labels: Record<string, string>, name?: string) => `${name ?? ''}{${Object.entries(labels).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(', ')}}`

const inputSeries = [
  ...[checkoutAvailability, hostile].flatMap((slo) => {
    const l = cairnLabels(slo)
    return [
      series('cairn_slo_sli_ratio', l, '0.9985x200'),
      series('cairn_slo_objective_ratio', l, '0.999x200'),
      series('cairn_slo_error_budget_remaining_ratio', l, '-0.5x200'),
      series('cairn_slo_events_total', l, '10000x200'),
      series('cairn_slo_events_bad', l, '15x200'),
      ...Object.entries(BURN).map(([window, v]) => series('cairn_slo_burn_rate', { ...l, window }, `${v}x200`)),
      series('cairn_slo_burn_rate', { ...l, window: 'window' }, '1.5x200'),
      // Evaluated every minute, each evaluation of the minute 75 s before it was written.
      series('cairn_slo_last_evaluation_timestamp_seconds', l, '-75+60x200'),
    ]
  }),
  // 1000 requests a minute, 2 of them 5xx: error ratio 0.002, twice the 0.1% budget.
  series('http_request_duration_seconds_count', { job: 'myservice', code: '200' }, '0+998x200'),
  series('http_request_duration_seconds_count', { job: 'myservice', code: '500' }, '0+2x200'),
]

type Sample = { labels: string; value: number }

/**
 * promtool compares floats exactly; rates of integer counters are not exact
 * decimals. Rounding to 6 places (which also drops metric names) compares
 * the numbers a dashboard shows.
 */
const rounded = (expr: string) => `round((${expr}) * 1e6) / 1e6`
const r6 = (v: number) => Math.round(v * 1e6) / 1e6
/** Expected samples per dashboard panel and query, at the evaluation time. */
function expectedFor(sloId: string, panel: string, refId: string): Sample[] | undefined {
  if (sloId === checkoutAvailability.id || sloId === hostile.id) {
    const slo = sloId === hostile.id ? hostile : checkoutAvailability
    const l = cairnLabels(slo)
    const table: Record<string, Sample[]> = {
      'SLI against objective/A': [{ labels: labelSet(l), value: 0.9985 }],
      'SLI against objective/B': [{ labels: labelSet(l), value: 0.999 }],
      'Error budget remaining/A': [{ labels: labelSet(l), value: -0.5 }],
      'Error budget burn-down/A': [{ labels: labelSet(l), value: -0.5 }],
      'Burn rate per alert window/A': Object.entries(BURN).map(([window, value]) => ({ labels: labelSet({ ...l, window }), value })),
      'Good and bad events/A': [{ labels: labelSet(l), value: 9985 }],
      'Good and bad events/B': [{ labels: labelSet(l), value: 15 }],
      'Alert state/A': [{ labels: labelSet({ severity: 'ticket' }), value: 1 }],
      'Last evaluated/A': [{ labels: labelSet(l), value: 75 }],
    }
    return table[`${panel}/${refId}`]
  }
  if (sloId === slothEvents.id) {
    const w = (sloth_window: string) => ({ ...slothBase, sloth_window })
    const table: Record<string, Sample[]> = {
      'SLI against objective/A': [{ labels: labelSet(w('5m')), value: 0.998 }],
      'SLI against objective/B': [{ labels: labelSet(w('30d')), value: 0.998 }],
      'SLI against objective/C': [{ labels: labelSet(slothBase), value: 0.999 }],
      // Sloth's period rule keeps the sloth_window label of the ratio it divides.
      'Error budget remaining/A': [{ labels: labelSet(w('30d')), value: -1 }],
      'Error budget burn-down/A': [{ labels: labelSet(w('30d')), value: -1 }],
      'Burn rate per alert window/A': Object.keys(BURN).map((window) => ({ labels: labelSet(w(window)), value: 2 })),
      // Burn rate 2 on 6h and 3d exceeds the ticket pair's factor 1: the ticket alert fires, the page does not.
      'Alert state/A': [{ labels: labelSet({ sloth_severity: 'ticket' }), value: 1 }],
      'Good and bad events/A': [{ labels: '{}', value: r6(998 / 60) }],
      'Good and bad events/B': [{ labels: '{}', value: r6(2 / 60) }],
    }
    return table[`${panel}/${refId}`]
  }
  return undefined
}

requireTool('promtool').describe('Prometheus dashboards in promtool', () => {
  it('evaluate to the expected numbers over cairn gauges and the generated rules', () => {
    const tests: Array<{ expr: string; eval_time: string; exp_samples: Sample[] }> = []
    for (const d of dashboards.filter((x) => x.kind === 'slo')) {
      for (const t of panelTargets(d.dashboard)) {
        const expected = expectedFor(d.key, t.panel, t.refId)
        if (expected) tests.push({ expr: rounded(String(t.target.expr)), eval_time: '3h', exp_samples: expected })
      }
    }
    const overview = dashboards.find((d) => d.kind === 'overview')!
    tests.push({
      expr: rounded(String(panelTargets(overview.dashboard)[0]!.target.expr)),
      eval_time: '3h',
      exp_samples: [
        { labels: labelSet({ slo: slothEvents.id, service: 'myservice' }), value: -1 },
        { labels: labelSet({ slo: checkoutAvailability.id, service: 'checkout' }), value: -0.5 },
        { labels: labelSet({ slo: hostile.id, service: hostile.service }), value: -0.5 },
      ],
    })
    expect(tests.length).toBe(2 * 9 + 9 + 1)

    writeFileSync(join(dir.path, 'rules.yaml'), generatePrometheusRules([checkoutAvailability, hostile, slothEvents]))
    const testFile = join(dir.path, 'test.yaml')
    writeFileSync(testFile, stringify({
      rule_files: ['rules.yaml'],
      evaluation_interval: '1m',
      tests: [{ interval: '1m', input_series: inputSeries, promql_expr_test: tests }],
    }))
    const run = spawnSync('promtool', ['test', 'rules', testFile], { encoding: 'utf8' })
    expect(run.stdout + run.stderr).toContain('SUCCESS')
    expect(run.status).toBe(0)
  })
})

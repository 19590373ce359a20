import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, describe, expect, it } from 'vitest'
import { parse } from 'yaml'
import { alertPolicyFor, generatePrometheusRules, scheduleIntervalSeconds } from '../../alerts/index.ts'
import { parseSloDocuments } from '../../slo-engine/index.ts'
import { labelledComputedSlo } from '../fixtures/alerts/slos.ts'
import { cairnSpecYaml } from '../fixtures/slos.ts'
import { checkRules, testRules } from '../support/promtool.ts'
import { tempDir } from '../support/temp.ts'
import { requireTool } from '../support/needs.ts'

// Label merging, factor text, staleness and no-data alerts: a golden file, and
// `promtool test rules` over the series cairn exposes on /metrics.

const GOLDEN = fileURLToPath(new URL('../fixtures/alerts/rules/labels-health.yaml', import.meta.url))
const dir = tempDir('cairn-health-rules-')
afterAll(() => dir.remove())

const slo = labelledComputedSlo()
const text = generatePrometheusRules([slo], { evaluationIntervalSeconds: 60 })
const ruleFile = join(dir.path, 'labels-health.yaml')
writeFileSync(ruleFile, text)

type Rule = { alert?: string; record?: string; expr: string; for?: string; labels: Record<string, string>; annotations?: Record<string, string> }
const rules = (parse(text).groups as { name: string; rules: Rule[] }[]).flatMap((g) => g.rules)
const alert = (name: string, severity?: string) => rules.find((r) => r.alert === name && (!severity || r.labels.sloth_severity === severity || r.labels.severity === severity))!

/** The series cairn's /metrics carries for this SLO, scraped with job/instance labels. */
const gauge = (name: string, extra: Record<string, string> = {}) =>
  `${name}{${Object.entries({ slo: 'catalog-search', service: 'catalog', name: 'search', job: 'cairn', instance: 'cairn:8080', ...extra })
    .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
    .join(', ')}}`

function promtool(name: string, tests: object[]) {
  const result = testRules(dir.path, `${name}.test.yaml`, { rule_files: ['labels-health.yaml'], evaluation_interval: '1m', tests })
  expect(result.output).toContain('SUCCESS')
  expect(result.status).toBe(0)
}

describe('labels, factors and health alerts', () => {
  requireTool('promtool').it('matches its golden file byte for byte and passes promtool check rules', () => {
    if (process.env.UPDATE_GOLDEN) writeFileSync(GOLDEN, text)
    expect(text).toBe(readFileSync(GOLDEN, 'utf8'))
    const check = checkRules(ruleFile)
    expect(check.output).toContain('SUCCESS')
  })

  it("lets the user's labels win over the generated ones, as Sloth does, and keeps the SLO's identity", () => {
    const page = rules.find((r) => r.alert === 'CatalogSearchBudgetBurn' && r.labels.severity === 'critical')!
    expect(page.labels).toMatchObject({ severity: 'critical', sloth_severity: 'urgent', slo: 'catalog-search', sloth_id: 'catalog-search', sloth_slo: 'search', sloth_service: 'catalog', team: 'discovery' })
    // The ticket takes the alerting-wide label over the generated severity.
    expect(rules.find((r) => r.alert === 'CatalogSearchBudgetBurn' && r.labels.sloth_severity === 'ticket')!.labels.severity).toBe('warning')
    // A cairn/v1 spec: the same through the parser.
    const parsed = parseSloDocuments(cairnSpecYaml({ service: 'checkout', name: 'availability', alerting: 'page: { labels: { severity: critical } }, noData: { after: 15m }' }), 'checkout.yaml')
    expect(parsed.errors).toEqual([])
    const pageRule = (parse(generatePrometheusRules(parsed.slos)).groups as { rules: Rule[] }[]).flatMap((g) => g.rules).find((r) => r.labels.sloth_severity === 'page' && r.alert !== 'CairnSloEvaluationStale' && r.alert !== 'CairnSloNoData')!
    expect(pageRule.labels.severity).toBe('critical')
    expect(parsed.slos[0]!.alerting.noData).toEqual({ afterSeconds: 900, severity: 'page' })
    const tooSoon = cairnSpecYaml({ service: 'b', name: 'a', alerting: 'noData: { after: 2m }' })
    expect(parseSloDocuments(tooSoon, 'bad.yaml').errors[0]!.message).toMatch(/after of at least 5m/)
  })

  it('prints factors as Sloth does: 21.6 for 3% of 30 days over 1h, the very float the engine compares', () => {
    const factor = alertPolicyFor(slo).pairs[0]!.burnRateFactor
    expect(factor).toBe(21.6)
    expect(0.03 * 720).toBe(21.599999999999998) // the arithmetic Sloth does not do
    expect(alert('CatalogSearchBudgetBurn', 'critical').expr).toContain('window="5m"}) > 21.6\n')
    expect(text).not.toContain('21.599999999999998')
  })

  requireTool('promtool').it('pages at 21.6× burn only above it (promtool), with the merged labels', () => {
    const burn = (window: string, value: number) => ({ series: gauge('cairn_slo_burn_rate', { window }), values: `${value}x15` })
    const evalAt = (fires: boolean) => ({
      eval_time: '10m',
      alertname: 'CatalogSearchBudgetBurn',
      exp_alerts: fires ? [{ exp_labels: { ...alert('CatalogSearchBudgetBurn', 'critical').labels, slo: 'catalog-search' }, exp_annotations: expectedAnnotations(22) }] : [],
    })
    promtool('factor', [
      { interval: '1m', input_series: [burn('5m', 22), burn('1h', 22)], alert_rule_test: [evalAt(true)] },
      // Exactly at the factor: `>` is false, as in the engine.
      { interval: '1m', input_series: [burn('5m', 21.6), burn('1h', 21.6)], alert_rule_test: [evalAt(false)] },
    ])
  })

  requireTool('promtool').it('pages when the SLO evaluation goes stale or is absent, and not while it is fresh (promtool)', () => {
    const last = gauge('cairn_slo_last_evaluation_timestamp_seconds')
    const stale = alert('CairnSloEvaluationStale')
    const firing = [{ exp_labels: { ...stale.labels }, exp_annotations: stale.annotations }]
    promtool('stale', [
      // Evaluated every minute (value = its Unix time) for 4 minutes, then never again.
      {
        interval: '1m',
        input_series: [{ series: last, values: '0+60x4' }],
        alert_rule_test: [
          { eval_time: '6m', alertname: 'CairnSloEvaluationStale', exp_alerts: [] }, // 360 − 240 = 120 s ≤ 195 (3 × 60 s + the 15 s settle)
          { eval_time: '8m', alertname: 'CairnSloEvaluationStale', exp_alerts: firing }, // 480 − 240 = 240 s > 195
        ],
      },
      { interval: '1m', input_series: [{ series: last, values: '0+60x20' }], alert_rule_test: [{ eval_time: '15m', alertname: 'CairnSloEvaluationStale', exp_alerts: [] }] },
      // cairn down or never scraped: no series at all.
      { interval: '1m', input_series: [{ series: gauge('cairn_slo_objective_ratio'), values: '0.999x10' }], alert_rule_test: [{ eval_time: '5m', alertname: 'CairnSloEvaluationStale', exp_alerts: firing }] },
    ])
  })

  requireTool('promtool').it('pages when an SLO that had traffic has none for 15m, and not for one that never had any (promtool)', () => {
    const noData = alert('CairnSloNoData')
    expect(noData.for).toBe('10m') // the gauge already counts 5 quiet minutes
    const firing = [{ exp_labels: { ...noData.labels }, exp_annotations: noData.annotations }]
    const series = (recent: string, total: string) => [
      { series: gauge('cairn_slo_recent_events'), values: recent },
      { series: gauge('cairn_slo_events_total'), values: total },
    ]
    promtool('no-data', [
      {
        interval: '1m',
        // Events until minute 2; the last 5 minutes hold none from minute 3 on.
        input_series: series('5 5 5 0x30', '100x33'),
        alert_rule_test: [
          { eval_time: '12m', alertname: 'CairnSloNoData', exp_alerts: [] },
          { eval_time: '13m', alertname: 'CairnSloNoData', exp_alerts: firing },
        ],
      },
      { interval: '1m', input_series: series('0x30', '0x30'), alert_rule_test: [{ eval_time: '20m', alertname: 'CairnSloNoData', exp_alerts: [] }] },
      { interval: '1m', input_series: series('5x30', '100x30'), alert_rule_test: [{ eval_time: '20m', alertname: 'CairnSloNoData', exp_alerts: [] }] },
    ])
  })

  requireTool('promtool').it('pages when most engine ticks fail for three intervals (promtool)', () => {
    const failing = alert('CairnEngineTicksFailing')
    const ticks = (failures: string) => [
      { series: 'cairn_engine_ticks_total{job="cairn", instance="cairn:8080"}', values: '0+1x30' },
      { series: 'cairn_engine_tick_failures_total{job="cairn", instance="cairn:8080"}', values: failures },
    ]
    promtool('ticks', [
      { interval: '1m', input_series: ticks('0x10 0+1x20'), alert_rule_test: [{ eval_time: '20m', alertname: 'CairnEngineTicksFailing', exp_alerts: [{ exp_labels: failing.labels, exp_annotations: failing.annotations }] }] },
      { interval: '1m', input_series: ticks('0x10 1x20'), alert_rule_test: [{ eval_time: '20m', alertname: 'CairnEngineTicksFailing', exp_alerts: [] }] },
    ])
  })
})

describe('the engine schedule sets the staleness threshold', () => {
  it('reads the tick interval from the cron schedule, and stale means three of them', () => {
    expect([['* * * * *', 60], ['*/5 * * * *', 300], ['*/30 * * * * *', 30], ['0,10,40 * * * *', 1800], ['0 * * * *', 3600]].map(([s]) => [s, scheduleIntervalSeconds(s as string)])).toEqual([
      ['* * * * *', 60],
      ['*/5 * * * *', 300],
      ['*/30 * * * * *', 30],
      ['0,10,40 * * * *', 1800],
      ['0 * * * *', 3600],
    ])
    const stale = (parse(generatePrometheusRules([slo], { evaluationIntervalSeconds: 300, settleSeconds: 0 })).groups as { rules: Rule[] }[]).flatMap((g) => g.rules).find((r) => r.alert === 'CairnSloEvaluationStale')!
    expect(stale.expr).toContain('> 900)')
    expect(stale.expr).toContain('[15m])')
  })
})

/** The page rule's annotations as Prometheus expands them for a short-window burn rate of `value`. */
function expectedAnnotations(value: number): Record<string, string> {
  const rule = alert('CatalogSearchBudgetBurn', 'critical')
  return Object.fromEntries(Object.entries(rule.annotations!).map(([k, v]) => [k, v.replace('{{ $value | printf "%.2f" }}', value.toFixed(2))]))
}

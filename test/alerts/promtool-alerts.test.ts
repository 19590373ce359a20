import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { parse } from 'yaml'
import { generatePrometheusRules, type RuleOptions } from '../../alerts/index.ts'
import type { Slo } from '../../slo-engine/index.ts'
import { computedSlos, promqlFormSlos, slothInBase } from '../fixtures/alerts/slos.ts'
import { promtoolAlertTest, type AlertFlavour } from '../fixtures/alerts/scenarios.ts'
import { testRules } from '../support/promtool.ts'
import { tempDir } from '../support/temp.ts'
import { requireTool } from '../support/needs.ts'

// `promtool test rules` on synthetic series: every page and ticket alert fires
// when both windows of one of its pairs burn above the factor, and stays silent
// when either window is just below it.

const dir = tempDir('cairn-promtool-')
afterAll(() => dir.remove())

function alertsOf(text: string, slo: Slo) {
  const groups = parse(text).groups as { name: string; rules: { alert?: string; labels: Record<string, string>; annotations: Record<string, string> }[] }[]
  return groups.filter((g) => g.name.endsWith(`-alerts-${slo.id}`)).flatMap((g) => g.rules.filter((r) => r.alert)) as never[]
}

function runAlertTests(name: string, flavour: AlertFlavour, slos: Slo[], slo: Slo, options: RuleOptions = {}) {
  const text = generatePrometheusRules(slos, options)
  writeFileSync(join(dir.path, `${name}.rules.yaml`), text)
  const doc = promtoolAlertTest(`${name}.rules.yaml`, flavour, slo, alertsOf(text, slo), options)
  expect(doc.tests.length).toBeGreaterThanOrEqual(3)
  const result = testRules(dir.path, `${name}.test.yaml`, doc)
  expect(result.output).toContain('SUCCESS')
  expect(result.status).toBe(0)
  return doc
}

requireTool('promtool').describe('generated alerts under promtool test rules', () => {
  it('cairn gauges, 30-day SLO with a 2m `for` on the page: 4 pairs × (fires, short below, long below)', () => {
    const slos = computedSlos()
    const doc = runAlertTests('computed-30d', 'cairn', slos, slos[0]!)
    expect(doc.tests).toHaveLength(12)
    expect(doc.tests.filter((t) => t.alert_rule_test[0]!.exp_alerts.length > 0)).toHaveLength(4)
  })

  it('cairn gauges, 7-day SLO with derived windows (14m, 84m, 1008m)', () => {
    const slos = computedSlos()
    runAlertTests('computed-7d', 'cairn', slos, slos[2]!)
  })

  it('cairn gauges, 28-day SLO with the ticket disabled: only page cases', () => {
    const slos = computedSlos()
    const doc = runAlertTests('computed-28d', 'cairn', slos, slos[1]!)
    expect(doc.tests).toHaveLength(6)
  })

  it('Sloth-style recordings, 30 days', () => {
    const slos = slothInBase()
    runAlertTests('sloth-30d', 'sloth', slos, slos[0]!)
  })

  it('Sloth-style recordings, 28-day default period and extra labels', () => {
    const slos = slothInBase()
    runAlertTests('sloth-28d', 'sloth', slos, slos[0]!, { slothPeriodSeconds: 28 * 86400, extraLabels: { exk1: 'exv1' } })
  })

  it('OpenSLO-style good/total PromQL over 7 days', () => {
    const slos = promqlFormSlos()
    runAlertTests('promql-7d', 'sloth', slos, slos[0]!)
  })
})

requireTool('promtool').describe('generated recording rules under promtool test rules', () => {
  const rounded = (expr: string, scale: number) => `round(sum(${expr}) * ${scale})`
  const sample = (expr: string, eval_time: string, value: number) => ({ expr, eval_time, exp_samples: [{ labels: '{}', value }] })

  it('record the error ratio, burn rate and budget remaining of a Sloth events SLI from raw counters', () => {
    const slos = slothInBase()
    writeFileSync(join(dir.path, 'counters.rules.yaml'), generatePrometheusRules(slos))
    const sel = '{sloth_id="svc01-slo1"}'
    const counters = (okPerMinute: number, errorsPerMinute: number) => [
      { series: 'http_request_duration_seconds_count{job="myservice",code="200"}', values: `0+${okPerMinute}x120` },
      { series: 'http_request_duration_seconds_count{job="myservice",code="500"}', values: `0+${errorsPerMinute}x120` },
    ]
    const slo1Labels = { global01k1: 'global01v1', global02k1: 'global02v1', sloth_id: 'svc01-slo1', sloth_service: 'svc01', sloth_slo: 'slo1', alert01k1: 'alert01v1' }
    const alert = (severity: 'page' | 'ticket') => ({
      exp_labels: { ...slo1Labels, ...(severity === 'page' ? { alert03k1: 'alert03v1' } : { alert04k1: 'alert04v1' }), sloth_severity: severity },
      exp_annotations: {
        alert02k1: 'alert02k2',
        summary: 'svc01 slo1 SLO error budget burn rate is over expected.',
        title: `(${severity}) svc01 slo1 SLO error budget burn rate is too fast.`,
      },
    })
    const doc = {
      rule_files: ['counters.rules.yaml'],
      evaluation_interval: '1m',
      tests: [
        {
          // 2% errors against a 0.1% budget: burn rate 20, above every factor.
          interval: '1m',
          input_series: counters(980, 20),
          promql_expr_test: [
            sample(rounded(`slo:sli_error:ratio_rate5m${sel}`, 10000), '60m', 200),
            sample(rounded(`slo:sli_error:ratio_rate1h${sel}`, 10000), '60m', 200),
            sample(rounded(`slo:sli_error:ratio_rate30d${sel}`, 10000), '60m', 200),
            sample(rounded(`slo:current_burn_rate:ratio${sel}`, 10), '60m', 200),
            sample(rounded(`slo:period_error_budget_remaining:ratio${sel}`, 1), '60m', -19),
            sample(`sum(slo:objective:ratio${sel})`, '60m', 0.9990000000000001),
            sample(`sum(slo:time_period:days${sel})`, '60m', 30),
          ],
          alert_rule_test: [{ eval_time: '60m', alertname: 'myServiceAlert', exp_alerts: [alert('page'), alert('ticket')] }],
        },
        {
          // 0.5% errors: burn rate 5, under the page factors (14.4, 6), over the ticket ones (3, 1).
          interval: '1m',
          input_series: counters(995, 5),
          promql_expr_test: [sample(rounded(`slo:current_burn_rate:ratio${sel}`, 10), '60m', 50)],
          alert_rule_test: [{ eval_time: '60m', alertname: 'myServiceAlert', exp_alerts: [alert('ticket')] }],
        },
        {
          // 0.09% errors: burn rate 0.9, under every factor.
          interval: '1m',
          input_series: counters(999.1, 0.9),
          promql_expr_test: [sample(rounded(`slo:current_burn_rate:ratio${sel}`, 10), '60m', 9)],
          alert_rule_test: [{ eval_time: '60m', alertname: 'myServiceAlert', exp_alerts: [] }],
        },
      ],
    }
    const result = testRules(dir.path, 'counters.test.yaml', doc)
    expect(result.output).toContain('SUCCESS')
    expect(result.status).toBe(0)
  })

  it('record the good/total and threshold PromQL forms', () => {
    writeFileSync(join(dir.path, 'forms.rules.yaml'), generatePrometheusRules(promqlFormSlos()))
    const doc = {
      rule_files: ['forms.rules.yaml'],
      evaluation_interval: '1m',
      tests: [
        {
          interval: '1m',
          input_series: [
            { series: 'http_requests_total{code="200"}', values: '0+990x120' },
            { series: 'http_requests_total{code="503"}', values: '0+10x120' },
            // p99 latency: 0.1s for 30 minutes, then 0.4s (over the 0.3s threshold).
            { series: 'http_request_duration_seconds_bucket{le="0.2"}', values: '0+100x30 3000+0x90' },
            { series: 'http_request_duration_seconds_bucket{le="0.5"}', values: '0+100x30 3000+100x90' },
            { series: 'http_request_duration_seconds_bucket{le="+Inf"}', values: '0+100x30 3000+100x90' },
          ],
          promql_expr_test: [
            // 1 - 990/1000 = 1% errors.
            sample(rounded('slo:sli_error:ratio_rate5m{sloth_id="web-good-total"}', 10000), '60m', 100),
            sample(rounded('slo:sli_error:ratio_rate1w{sloth_id="web-good-total"}', 10000), '60m', 100),
            // Before the latency rises every step meets the threshold; 30 minutes after, the 30m window is all misses.
            sample(rounded('slo:sli_error:ratio_rate30m{sloth_id="web-p99-latency"}', 100), '25m', 0),
            sample(rounded('slo:sli_error:ratio_rate30m{sloth_id="web-p99-latency"}', 100), '70m', 100),
          ],
        },
      ],
    }
    const result = testRules(dir.path, 'forms.test.yaml', doc)
    expect(result.output).toContain('SUCCESS')
    expect(result.status).toBe(0)
  })
})

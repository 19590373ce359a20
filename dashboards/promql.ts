import { formatDuration, isComputedSli, type PromqlSli, type Slo } from '../slo-engine/index.ts'
import { formatPromDuration, periodSeconds } from '../alerts/index.ts'
import type { QuerySpec, SloQueries, SloQueryContext } from './queries.ts'

// PromQL over what Prometheus holds for an SLO: for SLIs cairn computes, the
// cairn_slo_* gauges it scrapes from /metrics (labels slo, service, name,
// window); for PromQL SLIs, the recording rules generated with Sloth's names
// (slo:sli_error:ratio_rate<window>, slo:objective:ratio, …, labels sloth_id,
// sloth_service, sloth_slo, sloth_window), so Sloth users' series keep working.

/** A PromQL string literal (double-quoted, backslash escapes). */
export function promString(value: string): string {
  return JSON.stringify(value)
}

const range = (text: string, legend?: string): QuerySpec => ({ text, legend, shape: 'range' })
const instant = (text: string, legend?: string): QuerySpec => ({ text, legend, shape: 'instant' })

export function prometheusSloQueries(slo: Slo, ctx: SloQueryContext): SloQueries {
  return slo.sli.kind === 'promql' ? slothQueries(slo, slo.sli, ctx) : cairnGaugeQueries(slo, ctx)
}

function cairnGaugeQueries(slo: Slo, ctx: SloQueryContext): SloQueries {
  const sel = `slo=${promString(slo.id)}`
  // The engine keys burn-rate windows by formatDuration() ("1d", "90m").
  const windowRe = ctx.windowSeconds.map(formatDuration).join('|')
  return {
    sli: [range(`cairn_slo_sli_ratio{${sel}}`, 'SLI'), range(`cairn_slo_objective_ratio{${sel}}`, 'objective')],
    budgetRemaining: instant(`cairn_slo_error_budget_remaining_ratio{${sel}}`, 'budget remaining'),
    budgetBurnDown: range(`cairn_slo_error_budget_remaining_ratio{${sel}}`, 'budget remaining'),
    burnRates: [range(`cairn_slo_burn_rate{${sel}, window=~${promString(windowRe)}}`, '{{window}}')],
    alertState: range(`max by (severity) (ALERTS{alertname=${promString(slo.alerting.name)}, ${sel}, alertstate="firing"})`, '{{severity}}'),
    evaluationAge: instant(`time() - cairn_slo_last_evaluation_timestamp_seconds{${sel}}`, 'since evaluated'),
    events: [
      range(`cairn_slo_events_total{${sel}} - cairn_slo_events_bad{${sel}}`, 'good'),
      range(`cairn_slo_events_bad{${sel}}`, 'bad'),
    ],
    eventsUnit: 'short',
    eventsDescription: 'Good and bad events (or slices) within the SLO window, as of each evaluation.',
    telemetry: [],
  }
}

/** `{{.window}}` (Sloth's placeholder, any spacing) set to a concrete range. */
function atWindow(query: string, window: string): string {
  return query.replace(/\{\{\s*\.window\s*\}\}/g, window)
}

function slothEvents(sli: PromqlSli): QuerySpec[] {
  const w = '5m'
  switch (sli.form) {
    case 'events':
      return [
        range(`(${atWindow(sli.totalQuery, w)}) - (${atWindow(sli.errorQuery, w)})`, 'good /s'),
        range(`${atWindow(sli.errorQuery, w)}`, 'bad /s'),
      ]
    case 'goodTotal':
      return [
        range(`${atWindow(sli.goodQuery, w)}`, 'good /s'),
        range(`(${atWindow(sli.totalQuery, w)}) - (${atWindow(sli.goodQuery, w)})`, 'bad /s'),
      ]
    default:
      return []
  }
}

function slothQueries(slo: Slo, sli: PromqlSli, ctx: SloQueryContext): SloQueries {
  const sel = `sloth_id=${promString(slo.id)}`
  // Sloth names its recording rules with Prometheus' duration format ("4w" for 28 days); so do cairn's generated rules.
  const period = formatPromDuration(periodSeconds(slo.window))
  const windowNames = ctx.windowSeconds.map((s) => `slo:sli_error:ratio_rate${formatPromDuration(s)}`).join('|')
  const events = slothEvents(sli)
  return {
    sli: [
      range(`1 - slo:sli_error:ratio_rate5m{${sel}}`, 'SLI (5m)'),
      range(`1 - slo:sli_error:ratio_rate${period}{${sel}}`, `SLI (${period})`),
      range(`slo:objective:ratio{${sel}}`, 'objective'),
    ],
    budgetRemaining: instant(`slo:period_error_budget_remaining:ratio{${sel}}`, 'budget remaining'),
    budgetBurnDown: range(`slo:period_error_budget_remaining:ratio{${sel}}`, 'budget remaining'),
    burnRates: [
      range(
        `{__name__=~${promString(windowNames)}, ${sel}} / on (sloth_id) group_left () slo:error_budget:ratio{${sel}}`,
        '{{sloth_window}}',
      ),
    ],
    alertState: range(`max by (sloth_severity) (ALERTS{alertname=${promString(slo.alerting.name)}, ${sel}, alertstate="firing"})`, '{{sloth_severity}}'),
    events: events.length > 0 ? events : [range(`slo:sli_error:ratio_rate5m{${sel}}`, 'error ratio (5m)')],
    eventsUnit: events.length > 0 ? 'reqps' : 'percentunit',
    eventsDescription:
      events.length > 0
        ? "Good and bad events per second over 5m, from the SLI's own queries."
        : 'This SLI is a ratio query without event counts: its error ratio over 5m.',
    telemetry: [],
  }
}

/** Whether Prometheus has series for this SLO at all (external SLIs have none). */
export function hasPrometheusSeries(slo: Slo): boolean {
  return slo.sli.kind === 'promql' || isComputedSli(slo.sli)
}

/** Every SLO's remaining budget, lowest first: cairn gauges and Sloth rules in one table. */
export function prometheusOverviewQuery(service?: string): QuerySpec {
  const cairnSel = service === undefined ? '' : `{service=${promString(service)}}`
  const slothSel = service === undefined ? '' : `{sloth_service=${promString(service)}}`
  const sloth = `label_replace(label_replace(slo:period_error_budget_remaining:ratio${slothSel}, "slo", "$1", "sloth_id", "(.*)"), "service", "$1", "sloth_service", "(.*)")`
  return instant(`sort(max by (slo, service) (cairn_slo_error_budget_remaining_ratio${cairnSel}) or max by (slo, service) (${sloth}))`, '{{slo}}')
}

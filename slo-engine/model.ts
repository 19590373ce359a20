// The one internal model of an SLO. Every accepted spec format (cairn/v1, Sloth
// prometheus/v1, OpenSLO v1) is parsed into `Slo`; every consumer (engine, rule
// generator, dashboards, API) reads only this type. Pure data: JSON-serialisable,
// no functions, no classes, units in the names.
import type { SpanKind as StoredSpanKind } from '../storage/index.ts'

export type SpecFormat = 'cairn' | 'sloth' | 'openslo'

/** Where an SLO was declared, for error messages and the API. */
export interface SpecSource {
  format: SpecFormat
  /** File path, or "api" for SLOs managed through the API. */
  file: string
  /** 1-based position of the SLO's document (or list item) in the file. */
  line: number
  column: number
}

export type MatchOp = 'eq' | 'neq' | 're' | 'nre'

/** A match on one string value: equal, not equal, or a (RE2, fully anchored) regex and its negation. */
export interface StringMatcher {
  op: MatchOp
  value: string
}

/** A match on one attribute of a span, log record or metric point. */
export interface AttributeMatcher extends StringMatcher {
  key: string
}

/** Span kinds as the exporter writes them in otel_traces.SpanKind (storage/schema/otel-vocabulary.ts). */
export type SpanKind = StoredSpanKind

/** Good/bad over spans in otel_traces. */
export interface SpansSli {
  kind: 'spans'
  service?: StringMatcher
  spanName?: StringMatcher
  spanKind?: SpanKind
  /** Matchers on SpanAttributes. */
  attributes: AttributeMatcher[]
  /** Matchers on ResourceAttributes. */
  resourceAttributes: AttributeMatcher[]
  /** What makes a matching span bad. */
  bad: { kind: 'error' } | { kind: 'latency'; thresholdNs: number }
}

/** Good/bad over log records in otel_logs. */
export interface LogsSli {
  kind: 'logs'
  service?: StringMatcher
  body?: StringMatcher
  /** Matchers on LogAttributes. */
  attributes: AttributeMatcher[]
  resourceAttributes: AttributeMatcher[]
  /** Bad = SeverityNumber at or above `atLeast` (OTel severity numbers, 17 = ERROR), or a match. */
  bad: { kind: 'severity'; atLeast: number } | { kind: 'match'; body?: StringMatcher; attributes: AttributeMatcher[] }
}

/** A counter: OTLP sums (delta or cumulative) and remote_write counters in otel_metrics_sum. */
export interface CounterSelector {
  metric: string
  service?: StringMatcher
  attributes: AttributeMatcher[]
}

/** Ratio of counters. `total` and exactly one of `good` / `bad`. */
export interface MetricsSli {
  kind: 'metrics'
  total: CounterSelector
  good?: CounterSelector
  bad?: CounterSelector
}

/** Share of a histogram's observations at or under `thresholdBound`, which must be a bucket boundary. */
export interface HistogramSli {
  kind: 'histogram'
  metric: string
  service?: StringMatcher
  attributes: AttributeMatcher[]
  thresholdBound: number
}

/**
 * A PromQL SLI that Prometheus evaluates; cairn does not compute it but
 * generates its recording and alert rules. Queries keep Sloth's `{{.window}}`
 * placeholder where the source had it.
 */
export type PromqlSli =
  | { kind: 'promql'; form: 'events'; errorQuery: string; totalQuery: string }
  | { kind: 'promql'; form: 'goodTotal'; goodQuery: string; totalQuery: string }
  | { kind: 'promql'; form: 'raw'; errorRatioQuery: string }
  | { kind: 'promql'; form: 'threshold'; query: string; op: 'lt' | 'lte' | 'gt' | 'gte'; threshold: number }

/**
 * An SLI over a data source cairn has no reader for (OpenSLO `metricSource.type`
 * other than Prometheus, e.g. "Any"): kept so the SLO loads, is listed and
 * validated, but neither computed nor turned into rules.
 */
export interface ExternalSli {
  kind: 'external'
  sourceType: string
  /** The source's query specs as written, by role (good, bad, total, threshold). */
  queries: Record<string, unknown>
}

export type Sli = SpansSli | LogsSli | MetricsSli | HistogramSli | PromqlSli | ExternalSli

export type CalendarPeriod = 'day' | 'week' | 'month' | 'quarter' | 'year'

/** Rolling windows slide with now; calendar windows restart at each period's start in `timeZone`. */
export type SloWindow = { kind: 'rolling'; seconds: number } | { kind: 'calendar'; period: CalendarPeriod; timeZone: string }

/**
 * occurrences: SLI = good events / all events over the window.
 * timeslices: the window is cut in slices; a slice is good when its SLI ≥ sliceTarget (ratio);
 *   SLI = good slices / slices with data.
 * ratioTimeslices (OpenSLO): SLI = mean of the slices' SLIs.
 */
export type Budgeting =
  | { method: 'occurrences' }
  | { method: 'timeslices'; sliceSeconds: number; sliceTarget: number }
  | { method: 'ratioTimeslices'; sliceSeconds: number }

/** One multiwindow burn-rate alert: fires when both windows burn faster than the budget share allows. */
export interface BurnRateWindowSpec {
  /** Share of the whole period's error budget (in percent) that this alert tolerates burning within longWindow. */
  budgetPercent: number
  shortWindowSeconds: number
  longWindowSeconds: number
}

/** Alert windows as data, as Sloth's AlertWindows: page and ticket, each a quick and a slow pair. */
export interface AlertPolicySpec {
  page: { quick: BurnRateWindowSpec; slow: BurnRateWindowSpec }
  ticket: { quick: BurnRateWindowSpec; slow: BurnRateWindowSpec }
}

/**
 * A secret in a spec: written inline, or as the name of an environment variable
 * of the process that delivers the alerts (`{ env: PD_CHECKOUT_KEY }`), so that
 * the spec, the catalog and the API never hold the secret itself.
 */
export type SecretValue = string | { env: string }

export type NotifyTarget =
  | { type: 'alertmanager'; url: string }
  | { type: 'pagerduty'; routingKey: SecretValue; url?: string }
  | { type: 'webhook'; url: string; headers?: Record<string, SecretValue> }

export interface AlertSeveritySpec {
  enabled: boolean
  labels: Record<string, string>
  annotations: Record<string, string>
  /** How long the condition must hold before the alert fires (Prometheus `for`); absent or 0 = at once. */
  forSeconds?: number
}

export interface SloAlerting {
  /** Alert name (Prometheus `alert:` and Alertmanager `alertname`). */
  name: string
  /** Labels and annotations common to page and ticket alerts. */
  labels: Record<string, string>
  annotations: Record<string, string>
  page: AlertSeveritySpec
  ticket: AlertSeveritySpec
  runbook?: string
  /** Per-SLO override of the default policy; undefined = the default for the SLO's window. */
  policy?: AlertPolicySpec
  /** Per-SLO notification targets; undefined = the global ones. */
  notify?: NotifyTarget[]
  /** Alert when an SLO that had events in its window has had none for `afterSeconds` (Pyrra's absent alerts); undefined = no such alert. */
  noData?: { afterSeconds: number; severity: 'page' | 'ticket' }
}

/**
 * Error-budget policy for the deploy gate (docs/gate.md): when the SLO freezes
 * deploys of its service. Every field is optional in a spec; the gate fills
 * the rest from the service's policy, then the global default (config).
 */
export interface BudgetPolicy {
  /** Freeze while the remaining budget ratio is below this (0 = once overspent; 0.25 = with under a quarter left). */
  freezeWhenRemainingBelow: number
  /** Freeze while the SLO's page alert fires. */
  freezeWhilePaging: boolean
  /** Freeze while cairn cannot tell (no data, not evaluated yet, stale evaluation, an SLI cairn does not compute). */
  freezeWhenUnknown: boolean
}

export interface Slo {
  /** `<service>-<name>`: unique across all sources. */
  id: string
  name: string
  service: string
  displayName?: string
  description?: string
  labels: Record<string, string>
  /** Objective in percent, exactly as written (99.9, not 0.999). */
  objectivePercent: number
  window: SloWindow
  budgeting: Budgeting
  sli: Sli
  alerting: SloAlerting
  /** The SLO's own error-budget policy fields; absent = the service's or the global default. */
  budgetPolicy?: Partial<BudgetPolicy>
  /** Attribute keys attribution always reports (span, log or resource attributes), besides those it finds. */
  attribution?: string[]
  source: SpecSource
}

/**
 * The burn-rate windows the engine computes for every SLO, besides the SLO's
 * own window (key "window") and any window an alert policy needs. Keys are
 * formatDuration() strings.
 */
export const BURN_RATE_WINDOWS = ['5m', '30m', '1h', '2h', '6h', '1d', '3d'] as const

/** One evaluation of one SLO at one instant: what the engine writes to history and hands to alerting. */
export interface SloEvaluation {
  sloId: string
  evaluatedAtMs: number
  /**
   * no_data: no event (or no slice with data) in the SLO window; then the ratios below are null.
   * error: the SLO could not be evaluated (`error` says why); the ratios are null, the counts 0,
   * and alerting keeps its state (neither fires nor resolves) until it evaluates again.
   */
  status: 'ok' | 'no_data' | 'error'
  /** Why the SLO could not be evaluated (status error only). */
  error?: string
  objectiveRatio: number
  /** good / total over the SLO window (slices for timeslices budgeting); null without data. */
  sli: number | null
  /** Events (or slices) in the SLO window, and the bad ones among them. */
  eventsTotal: number
  eventsBad: number
  /** Bad events the window may hold: (1 - objective) × eventsTotal. */
  budgetTotal: number
  /** Bad events so far: eventsBad. */
  budgetConsumed: number
  /** 1 - consumed / total: 1 = untouched, 0 = spent, negative = overspent; null without data. */
  budgetRemainingRatio: number | null
  /** Error rate over the window ÷ (1 - objective), keyed by formatDuration() and "window"; absent = no data in that window. */
  burnRates: Record<string, number>
  /** Events (never slices) in the last 5 minutes, for no-data alerts; absent when read back from history. */
  recentEvents?: number
}

/** SLI kinds cairn computes from the stored telemetry. */
export function isComputedSli(sli: Sli): sli is SpansSli | LogsSli | MetricsSli | HistogramSli {
  return sli.kind === 'spans' || sli.kind === 'logs' || sli.kind === 'metrics' || sli.kind === 'histogram'
}

// The values the exporter's tables hold for OTLP's enumerations, as the
// OpenTelemetry Collector's ClickHouse exporter writes them (pdata's names):
// the collector writes them, SLO specs and SQL match on them, the API filters
// by them. Declared here once.

/** Span.SpanKind by its OTLP number (0 = SPAN_KIND_UNSPECIFIED …): otel_traces.SpanKind. */
export const SPAN_KINDS = ['Unspecified', 'Internal', 'Server', 'Client', 'Producer', 'Consumer'] as const
export type SpanKind = (typeof SPAN_KINDS)[number]

/** Status.StatusCode by its OTLP number (0 = STATUS_CODE_UNSET …): otel_traces.StatusCode. */
export const STATUS_CODES = ['Unset', 'Ok', 'Error'] as const
export type StatusCode = (typeof STATUS_CODES)[number]

/** The status of a failed span, which error-based SLIs and panels count. */
export const STATUS_ERROR: StatusCode = 'Error'

/** Spans that serve a request (a server's or a consumer's): what request panels count. */
export const SERVING_SPAN_KINDS: readonly SpanKind[] = ['Server', 'Consumer']

/**
 * The first SeverityNumber of each level of the OTel log data model
 * (TRACE 1–4, DEBUG 5–8, INFO 9–12, WARN 13–16, ERROR 17–20, FATAL 21–24):
 * otel_logs.SeverityNumber.
 */
export const SEVERITY_NUMBERS = { trace: 1, debug: 5, info: 9, warn: 13, error: 17, fatal: 21 } as const

/** A level name (any case; `warning` for warn) as the first severity number of its range, or undefined. */
export function severityNumberOf(name: string): number | undefined {
  const key = name.toLowerCase() === 'warning' ? 'warn' : name.toLowerCase()
  return Object.hasOwn(SEVERITY_NUMBERS, key) ? SEVERITY_NUMBERS[key as keyof typeof SEVERITY_NUMBERS] : undefined
}

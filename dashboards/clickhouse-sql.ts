import { ENGINE_TABLES, formatDuration, type Slo } from '../slo-engine/index.ts'
import { ALERT_STATE_TABLE } from '../alerts/index.ts'
import { OTEL_TABLES, SERVING_SPAN_KINDS, STATUS_ERROR } from '../storage/index.ts'
import { sqlString } from './clickhouse-query.ts'
import type { QuerySpec, SloQueries, SloQueryContext, TelemetryPanel } from './queries.ts'

// SQL for grafana-clickhouse-datasource over cairn's tables (evaluation
// history, per-minute rollups, alert state) and the otel_* tables. Time
// bounds and buckets use the plugin's macros ($__timeFilter, $__timeInterval),
// which it expands before sending; SLO ids and service names are string
// literals escaped by sqlString (the plugin has no bound parameters).

const EVALUATIONS = ENGINE_TABLES.evaluations
const ROLLUPS = ENGINE_TABLES.rollups

const range = (text: string): QuerySpec => ({ text, shape: 'range' })
const table = (text: string): QuerySpec => ({ text, shape: 'instant' })

/** Collapses the indentation of a multi-line SQL template into one readable statement. */
function sql(strings: TemplateStringsArray, ...values: unknown[]): string {
  const text = strings.reduce((out, s, i) => out + s + (i < values.length ? String(values[i]) : ''), '')
  return text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '')
    .join('\n')
}

/** Burn-rate map lookup that is NULL (not 0) in a bucket where the window had no data. Window keys are formatDuration() strings. */
const burnRate = (window: string) => {
  const key = sqlString(window)
  return `avgOrNullIf(burn_rates[${key}], mapContains(burn_rates, ${key})) AS "${window}"`
}

/** The service whose raw telemetry the SLO is about: an exact service matcher, else the SLO's service. */
export function telemetryService(slo: Slo): string {
  const sli = slo.sli
  if ((sli.kind === 'spans' || sli.kind === 'logs' || sli.kind === 'histogram') && sli.service?.op === 'eq') return sli.service.value
  return slo.service
}

export function clickhouseSloQueries(slo: Slo, ctx: SloQueryContext): SloQueries {
  const id = sqlString(slo.id)
  return {
    sli: [
      range(sql`
        SELECT $__timeInterval(evaluated_at) AS time, avg(sli) AS "SLI", any(objective) AS "objective"
        FROM ${EVALUATIONS}
        WHERE slo_id = ${id} AND status = 'ok' AND $__timeFilter_ms(evaluated_at)
        GROUP BY time ORDER BY time`),
    ],
    budgetRemaining: table(sql`
      SELECT budget_remaining AS "budget remaining"
      FROM ${EVALUATIONS}
      WHERE slo_id = ${id} AND status = 'ok' AND $__timeFilter_ms(evaluated_at)
      ORDER BY evaluated_at DESC LIMIT 1`),
    budgetBurnDown: range(sql`
      SELECT $__timeInterval(evaluated_at) AS time, argMax(budget_remaining, evaluated_at) AS "budget remaining"
      FROM ${EVALUATIONS}
      WHERE slo_id = ${id} AND status = 'ok' AND $__timeFilter_ms(evaluated_at)
      GROUP BY time ORDER BY time`),
    burnRates: [
      range(sql`
        SELECT $__timeInterval(evaluated_at) AS time, ${ctx.windowSeconds.map((s) => burnRate(formatDuration(s))).join(', ')}
        FROM ${EVALUATIONS}
        WHERE slo_id = ${id} AND $__timeFilter_ms(evaluated_at)
        GROUP BY time ORDER BY time`),
    ],
    alertState: table(sql`
      SELECT severity, argMax(state, updated_at) AS state, argMax(active_since, updated_at) AS "active since", max(updated_at) AS "updated at"
      FROM ${ALERT_STATE_TABLE}
      WHERE slo_id = ${id}
      GROUP BY severity ORDER BY severity`),
    // Over the last week only, so the read stays small; older is shown as no value.
    evaluationAge: table(sql`
      SELECT dateDiff('second', max(evaluated_at), now64(3)) AS "since evaluated"
      FROM ${EVALUATIONS}
      WHERE slo_id = ${id} AND status != 'error' AND evaluated_at > now() - INTERVAL 7 DAY
      HAVING count() > 0`),
    events: [
      range(sql`
        SELECT $__timeInterval(r.minute) AS time, sum(r.good) AS good, sum(r.total - r.good) AS bad
        FROM ${ROLLUPS} AS r FINAL
        WHERE r.slo_id = ${id} AND $__timeFilter(r.minute)
        GROUP BY time ORDER BY time`),
    ],
    eventsUnit: 'short',
    eventsDescription: 'Good and bad events per time bucket, from the per-minute rollups the SLO engine keeps.',
    telemetry: slo.sli.kind === 'spans' ? spanTelemetry(telemetryService(slo)) : slo.sli.kind === 'logs' ? logTelemetry(telemetryService(slo)) : [],
  }
}

/** Request rate, errors and latency of a service from its spans. */
export function spanTelemetry(service: string): TelemetryPanel[] {
  const svc = sqlString(service)
  return [
    {
      title: `Spans of ${service}`,
      description: 'Server and consumer spans per second, by status (otel_traces).',
      unit: 'reqps',
      visual: 'timeseries',
      queries: [
        range(sql`
          SELECT $__timeInterval(Timestamp) AS time,
            countIf(StatusCode != ${sqlString(STATUS_ERROR)}) / $__interval_s AS ok,
            countIf(StatusCode = ${sqlString(STATUS_ERROR)}) / $__interval_s AS error
          FROM ${OTEL_TABLES.traces}
          WHERE ServiceName = ${svc} AND SpanKind IN (${SERVING_SPAN_KINDS.map(sqlString).join(', ')}) AND $__timeFilter_ms(Timestamp)
          GROUP BY time ORDER BY time`),
      ],
    },
    {
      title: `Latency of ${service}`,
      description: 'Server and consumer span duration percentiles (otel_traces).',
      unit: 'ms',
      visual: 'timeseries',
      queries: [
        range(sql`
          SELECT $__timeInterval(Timestamp) AS time,
            quantile(0.5)(Duration) / 1e6 AS p50, quantile(0.9)(Duration) / 1e6 AS p90, quantile(0.99)(Duration) / 1e6 AS p99
          FROM ${OTEL_TABLES.traces}
          WHERE ServiceName = ${svc} AND SpanKind IN (${SERVING_SPAN_KINDS.map(sqlString).join(', ')}) AND $__timeFilter_ms(Timestamp)
          GROUP BY time ORDER BY time`),
      ],
    },
    ...logTelemetry(service),
  ]
}

/** Recent warnings and errors of a service (otel_logs), as the logs panel reads them. */
export function logTelemetry(service: string): TelemetryPanel[] {
  return [
    {
      title: `Warnings and errors of ${service}`,
      description: 'Log records at WARN (severity 13) or above, newest first (otel_logs).',
      unit: 'short',
      visual: 'logs',
      queries: [
        {
          shape: 'logs',
          text: sql`
            SELECT Timestamp AS timestamp, Body AS body, SeverityText AS level, TraceId AS traceID, SpanId AS spanID
            FROM ${OTEL_TABLES.logs}
            WHERE ServiceName = ${sqlString(service)} AND SeverityNumber >= 13 AND $__timeFilter_ms(Timestamp)
            ORDER BY Timestamp DESC LIMIT 1000`,
        },
      ],
    },
  ]
}

/** Latest evaluation of every SLO (or a service's), lowest remaining budget first. */
export function clickhouseOverviewQuery(sloIds?: readonly string[]): QuerySpec {
  const only = sloIds === undefined ? '' : `AND slo_id IN (${sloIds.map(sqlString).join(', ') || "''"})`
  return table(sql`
    SELECT slo_id AS slo,
      argMax(status, evaluated_at) AS status,
      argMax(sli, evaluated_at) AS "SLI",
      argMax(objective, evaluated_at) AS objective,
      argMax(budget_remaining, evaluated_at) AS "budget remaining",
      argMax(burn_rates['1h'], evaluated_at) AS "burn rate 1h",
      max(evaluated_at) AS "evaluated at"
    FROM ${EVALUATIONS}
    WHERE $__timeFilter_ms(evaluated_at) ${only}
    GROUP BY slo_id
    ORDER BY "budget remaining" ASC NULLS LAST, slo ASC`)
}

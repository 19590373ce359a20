import { OTEL_TABLES, type QueryParams } from '../../storage/index.ts'
import type { Atom, AtomTable, RollupPlan } from './plan.ts'

// The rollup statements: one fixed SQL text per table, whatever the number of
// SLOs. Identifiers are constants of this file; everything that comes from a
// spec (atom values and patterns, attribute keys, metric names, thresholds) is
// a bound parameter. Each returns, per minute and per set of atoms that hold,
// the counts the SLOs need (see plan.ts).

export interface TimeRange {
  /** Unix seconds, inclusive. */
  fromSeconds: number
  /** Unix seconds, exclusive. */
  toSeconds: number
}

/** How far before a range cumulative counters are read, to find each series' previous point. */
export const COUNTER_PREFETCH_SECONDS = 3600

export interface Statement {
  sql: string
  params: QueryParams
}

/**
 * SQL for the 1-based indices of the atoms that hold for a row, and its
 * parameters. Equality atoms cost one hash lookup per field (transform maps
 * the field's value to the atom that requires it); regex atoms are matched one
 * by one with RE2. `valueOf(field)` is the SQL of a field position; the SQL
 * text depends only on which positions have equality atoms, never on values.
 */
export function atomsExpression(atoms: readonly Atom[], valueOf: (fieldSql: string) => string, prefix: string): { sql: string; params: QueryParams } {
  const params: QueryParams = {}
  const lookups: string[] = []
  const fields = [...new Set(atoms.filter((a) => !a.regex).map((a) => a.field))].sort((a, b) => a - b)
  for (const f of fields) {
    const eq = atoms.map((a, i) => ({ a, i })).filter(({ a }) => !a.regex && a.field === f)
    params[`${prefix}_eq${f}_values`] = eq.map(({ a }) => a.value)
    params[`${prefix}_eq${f}_atoms`] = eq.map(({ i }) => i + 1)
    lookups.push(`transform(${valueOf(String(f))}, {${prefix}_eq${f}_values:Array(String)}, {${prefix}_eq${f}_atoms:Array(UInt32)}, toUInt32(0))`)
  }
  const regex = atoms.map((a, i) => ({ a, i })).filter(({ a }) => a.regex)
  params[`${prefix}_re_fields`] = regex.map(({ a }) => a.field)
  params[`${prefix}_re_values`] = regex.map(({ a }) => a.value)
  params[`${prefix}_re_atoms`] = regex.map(({ i }) => i + 1)
  const field = valueOf(`{${prefix}_re_fields:Array(UInt16)}[i]`)
  const matched = `arrayMap(i -> {${prefix}_re_atoms:Array(UInt32)}[i], arrayFilter(i -> match(${field}, {${prefix}_re_values:Array(String)}[i]), arrayEnumerate({${prefix}_re_values:Array(String)})))`
  const equal = lookups.length > 0 ? `arrayFilter(x -> x > 0, [${lookups.join(', ')}])` : 'CAST([], \'Array(UInt32)\')'
  return { sql: `arrayConcat(${equal}, ${matched})`, params }
}

/** Atoms over the grouped value array `vals` (position p is vals[p]). */
export const overVals = (atoms: readonly Atom[]) => atomsExpression(atoms, (field) => `vals[${field}]`, 'atom')

const range = (r: TimeRange) => ({ from: r.fromSeconds, to: r.toSeconds })
export const mapKeys = (map: string, param: string) => `arrayMap(k -> ${map}[k], {${param}:Array(String)})`

/** What makes a span bad, as SQL over one otel_traces row: its status, or its duration over a threshold (SQL of UInt64 ns). */
export const SPAN_IS_ERROR_SQL = "StatusCode = 'Error'"
export const spanSlowerSql = (thresholdNsSql: string) => `Duration > ${thresholdNsSql}`
/** The field values the trace atoms read (plan.ts: ServiceName, SpanName, SpanKind, then the keys of each map). */
export const SPAN_VALS_SQL = `arrayConcat([ServiceName, SpanName, SpanKind], ${mapKeys('SpanAttributes', 'span_keys')}, ${mapKeys('ResourceAttributes', 'resource_keys')})`
export const spanValsParams = (t: AtomTable): QueryParams => ({ span_keys: t.keysOf('SpanAttributes'), resource_keys: t.keysOf('ResourceAttributes') })
/** The same for otel_logs (ServiceName, then LogAttributes and ResourceAttributes keys). */
export const LOG_VALS_SQL = `arrayConcat([ServiceName], ${mapKeys('LogAttributes', 'log_keys')}, ${mapKeys('ResourceAttributes', 'resource_keys')})`
export const logValsParams = (t: AtomTable): QueryParams => ({ log_keys: t.keysOf('LogAttributes'), resource_keys: t.keysOf('ResourceAttributes') })

export interface SpanGroupRow {
  minute: number
  atoms: number[]
  total: number
  errors: number
  /** Spans slower than each latency threshold (plan order). */
  slower: number[]
}

export function spansStatement(plan: RollupPlan['traces'], r: TimeRange): Statement {
  const t = plan.atoms
  const atoms = overVals(t.atoms())
  const sql = `SELECT toUInt32(minute) AS minute, atoms, toFloat64(sum(total)) AS total, toFloat64(sum(errors)) AS errors, arrayMap(x -> toFloat64(x), sumForEach(slower)) AS slower
FROM (
  SELECT minute, ${atoms.sql} AS atoms, total, errors, slower
  FROM (
    SELECT toStartOfMinute(Timestamp) AS minute,
      ${SPAN_VALS_SQL} AS vals,
      count() AS total,
      countIf(${SPAN_IS_ERROR_SQL}) AS errors,
      sumForEach(arrayMap(t -> toUInt64(${spanSlowerSql('t')}), {latency_ns:Array(UInt64)})) AS slower
    FROM ${OTEL_TABLES.traces}
    WHERE Timestamp >= toDateTime64({from:UInt32}, 9) AND Timestamp < toDateTime64({to:UInt32}, 9)
    GROUP BY minute, vals
  )
)
WHERE notEmpty(atoms) OR {keep_unmatched:UInt8} = 1
GROUP BY minute, atoms`
  return {
    sql,
    params: { ...atoms.params, keep_unmatched: plan.slos.some((s) => s.match.require.length === 0) ? 1 : 0, ...spanValsParams(t), latency_ns: plan.latencyNs.values, ...range(r) },
  }
}

export interface LogGroupRow {
  minute: number
  atoms: number[]
  /** 1-based indices of the Body atoms that hold. */
  body: number[]
  severity: number
  total: number
}

export function logsStatement(plan: RollupPlan['logs'], r: TimeRange): Statement {
  const t = plan.atoms
  const atoms = overVals(t.atoms())
  const body = atomsExpression(plan.bodyAtoms.atoms(), () => 'Body', 'body')
  const sql = `SELECT toUInt32(minute) AS minute, atoms, body, severity, toFloat64(sum(total)) AS total
FROM (
  SELECT minute, ${atoms.sql} AS atoms, body, severity, total
  FROM (
    SELECT toStartOfMinute(Timestamp) AS minute,
      ${LOG_VALS_SQL} AS vals,
      ${body.sql} AS body,
      SeverityNumber AS severity,
      count() AS total
    FROM ${OTEL_TABLES.logs}
    WHERE Timestamp >= toDateTime64({from:UInt32}, 9) AND Timestamp < toDateTime64({to:UInt32}, 9)
    GROUP BY minute, vals, body, severity
  )
)
WHERE notEmpty(atoms) OR {keep_unmatched:UInt8} = 1
GROUP BY minute, atoms, body, severity`
  return {
    sql,
    params: {
      ...atoms.params,
      ...body.params,
      // Rows no table atom holds for are dropped unless some SLO requires none (it matches on Body only, or on nothing).
      keep_unmatched: plan.slos.some((s) => !s.match.require.some((ref) => ref >= 0)) ? 1 : 0,
      ...logValsParams(t),
      ...range(r),
    },
  }
}

/** Points of the selected metrics from `prefetch_from` (to find each series' previous point) to `to`. */
const METRIC_POINTS_WHERE = `MetricName IN {metrics:Array(String)}
        AND TimeUnix >= toDateTime64({prefetch_from:UInt32}, 9) AND TimeUnix < toDateTime64({to:UInt32}, 9)`
/** One series: what the OTel exporter keys a metric stream by. */
const SERIES_WINDOW = 'WINDOW series AS (PARTITION BY ServiceName, MetricName, Attributes, ResourceAttributes, ScopeName ORDER BY TimeUnix ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)'
/** Keeps the points of the range itself and groups them by minute and atoms. */
const IN_RANGE_BY_MINUTE = `WHERE TimeUnix >= toDateTime64({from:UInt32}, 9)
  )
)
WHERE notEmpty(atoms)
GROUP BY minute, atoms`

function metricParams(atoms: { params: QueryParams }, t: RollupPlan['sums']['atoms'], metricNames: readonly string[], r: TimeRange): QueryParams {
  return { ...atoms.params, attr_keys: t.keysOf('Attributes'), metrics: [...metricNames], prefetch_from: r.fromSeconds - COUNTER_PREFETCH_SECONDS, ...range(r) }
}

export interface CounterGroupRow {
  minute: number
  atoms: number[]
  /** Sum of the counters' increases in the minute. */
  increase: number
}

/**
 * Increases of monotonic sums per minute. Delta points are increases as they
 * are. Cumulative points (OTLP cumulative sums, remote_write counters) are
 * differenced per series (service, metric, attributes, resource, scope); a
 * drop or a new start time is a counter reset, after which the new value is
 * the increase. The first point of a series counts only when the series
 * started inside what was read (a counter first seen mid-life has no known
 * previous value, as in Prometheus' increase()).
 */
export function countersStatement(plan: RollupPlan['sums'], metricNames: readonly string[], r: TimeRange): Statement {
  const t = plan.atoms
  const atoms = overVals(t.atoms())
  const sql = `SELECT toUInt32(minute) AS minute, atoms, sum(increase) AS increase
FROM (
  SELECT toStartOfMinute(TimeUnix) AS minute, ${atoms.sql} AS atoms, increase
  FROM (
    SELECT TimeUnix, vals,
      multiIf(
        AggregationTemporality = 1, Value,
        n = 1, if(StartTimeUnix >= toDateTime64({prefetch_from:UInt32}, 9), Value, 0),
        StartTimeUnix != prev_start OR Value < prev_value, Value,
        Value - prev_value) AS increase
    FROM (
      SELECT TimeUnix, Value, StartTimeUnix, AggregationTemporality,
        arrayConcat([ServiceName, MetricName], ${mapKeys('Attributes', 'attr_keys')}) AS vals,
        lagInFrame(Value) OVER series AS prev_value,
        lagInFrame(StartTimeUnix) OVER series AS prev_start,
        row_number() OVER series AS n
      FROM ${OTEL_TABLES.sum}
      WHERE IsMonotonic AND ${METRIC_POINTS_WHERE}
      ${SERIES_WINDOW}
    )
    ${IN_RANGE_BY_MINUTE}`
  return { sql, params: metricParams(atoms, t, metricNames, r) }
}

export interface HistogramGroupRow {
  minute: number
  atoms: number[]
  /** Per threshold (plan order): observations counted where the threshold is a bucket bound, and those at or under it. */
  totals: number[]
  goods: number[]
  /** Per threshold: points whose buckets do not have it as a bound (excluded, and reported). */
  unbounded: number[]
}

/**
 * Observations at or under each threshold, from OTLP histogram points:
 * bucket i counts (bound[i-1], bound[i]], so "at or under bound[k]" is the sum
 * of the first k buckets. Cumulative points are differenced per series with
 * the same reset rules as counters.
 */
export function histogramsStatement(plan: RollupPlan['histograms'], metricNames: readonly string[], r: TimeRange): Statement {
  const t = plan.atoms
  const atoms = overVals(t.atoms())
  const started = 'StartTimeUnix >= toDateTime64({prefetch_from:UInt32}, 9)'
  const reset = 'StartTimeUnix != prev_start OR Count < prev_count'
  const sql = `SELECT toUInt32(minute) AS minute, atoms, arrayMap(x -> toFloat64(x), sumForEach(totals)) AS totals, arrayMap(x -> toFloat64(x), sumForEach(goods)) AS goods, arrayMap(x -> toFloat64(x), sumForEach(unbounded)) AS unbounded
FROM (
  SELECT toStartOfMinute(TimeUnix) AS minute, ${atoms.sql} AS atoms,
    arrayMap(b -> if(b, count_increase, 0), bounded) AS totals,
    arrayMap((b, g) -> if(b, g, 0), bounded, good_increase) AS goods,
    arrayMap(b -> toInt64(NOT b), bounded) AS unbounded
  FROM (
    SELECT TimeUnix, vals, bounded,
      multiIf(AggregationTemporality = 1, toInt64(Count), n = 1, if(${started}, toInt64(Count), 0), ${reset}, toInt64(Count), toInt64(Count) - toInt64(prev_count)) AS count_increase,
      multiIf(AggregationTemporality = 1, goods, n = 1, if(${started}, goods, arrayMap(g -> toInt64(0), goods)), ${reset}, goods,
        arrayMap((g, p) -> g - p, goods, arrayResize(prev_goods, length(goods), toInt64(0)))) AS good_increase
    FROM (
      SELECT TimeUnix, Count, StartTimeUnix, AggregationTemporality,
        arrayConcat([ServiceName, MetricName], ${mapKeys('Attributes', 'attr_keys')}) AS vals,
        arrayMap(b -> indexOf(ExplicitBounds, b) > 0, {thresholds:Array(Float64)}) AS bounded,
        arrayMap(b -> toInt64(arraySum(arraySlice(BucketCounts, 1, indexOf(ExplicitBounds, b)))), {thresholds:Array(Float64)}) AS goods,
        lagInFrame(Count) OVER series AS prev_count,
        lagInFrame(goods) OVER series AS prev_goods,
        lagInFrame(StartTimeUnix) OVER series AS prev_start,
        row_number() OVER series AS n
      FROM ${OTEL_TABLES.histogram}
      WHERE ${METRIC_POINTS_WHERE}
      ${SERIES_WINDOW}
    )
    ${IN_RANGE_BY_MINUTE}`
  return { sql, params: { ...metricParams(atoms, t, metricNames, r), thresholds: plan.thresholds.values } }
}


import { INGESTED_AT, OTEL_TABLES, STATUS_ERROR, type QueryParams } from '../../storage/index.ts'
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

/**
 * Which rows of otel_traces and otel_logs a rollup statement reads, and which
 * of them it counts (docs/slo-engine.md, "Ingest watermark"). A span's event
 * time is its end (start + duration), a log record's its Timestamp.
 */
export interface RawSelection {
  /** Event times read, Unix seconds [from, to). */
  event: TimeRange
  /** Only rows stored (CairnIngestedAt) in [fromMs, toMs), Unix ms; absent: whenever stored. */
  stored?: { fromMs: number; toMs: number }
  /** Spans that started before this (Unix seconds) are not read: a range read widened by the lateness bound. */
  startFromSeconds: number
  /**
   * Rows whose event time lies more than `seconds` before the earlier of their
   * store time and `nowSeconds`, or as much after the later of the two, are
   * not counted at their minute but at OUTSIDE_BOUND_MINUTE. `pastUnbounded`
   * (a backfill reading what is stored) applies only the future bound.
   */
  bound: { seconds: number; nowSeconds: number; pastUnbounded?: boolean }
}

/** Where rows outside the lateness bound are counted (minute 0, 1970-01-01, is never an SLO minute). */
export const OUTSIDE_BOUND_MINUTE = 0
/** A time after every event: the open end of a range (2106-02-07, within DateTime64(9)). */
export const OPEN_END_SECONDS = 2 ** 32 - 1
const UNBOUNDED_PAST_SECONDS = 2 ** 40

/** A time range read as a RawSelection: no store filter, no widening, nothing out of bound. */
export const rangeSelection = (r: TimeRange): RawSelection => ({ event: r, startFromSeconds: r.fromSeconds, bound: { seconds: UNBOUNDED_PAST_SECONDS, nowSeconds: r.toSeconds, pastUnbounded: true } })

/** The WHERE conditions and minute expression shared by the span and log statements, over `eventSeconds` (SQL, Int64). */
function selectionSql(eventSeconds: string): { where: string; minute: string } {
  const column = INGESTED_AT.column
  const stored = `toInt64(toUnixTimestamp(${column}))`
  const accepted = `${eventSeconds} >= least(${stored}, {now_s:Int64}) - {past_s:Int64} AND ${eventSeconds} < greatest(${stored}, {now_s:Int64}) + {future_s:Int64}`
  return {
    where: `${eventSeconds} >= {from:Int64} AND ${eventSeconds} < {to:Int64}
      AND ${column} >= fromUnixTimestamp64Milli({stored_from:Int64}) AND ${column} < fromUnixTimestamp64Milli({stored_to:Int64})`,
    minute: `toUInt32(if(${accepted}, intDiv(${eventSeconds}, 60) * 60, ${OUTSIDE_BOUND_MINUTE}))`,
  }
}

function selectionParams(s: RawSelection): QueryParams {
  return {
    from: s.event.fromSeconds,
    to: s.event.toSeconds,
    start_from: s.startFromSeconds,
    stored_from: s.stored?.fromMs ?? 0,
    stored_to: s.stored?.toMs ?? OPEN_END_SECONDS * 1000,
    now_s: s.bound.nowSeconds,
    past_s: s.bound.pastUnbounded ? UNBOUNDED_PAST_SECONDS : s.bound.seconds,
    future_s: s.bound.seconds,
  }
}

/** How far before a range cumulative counters are read, to find each series' previous point. */
export const COUNTER_PREFETCH_SECONDS = 3600
/**
 * How far before the prefetch the last point of each series is still looked
 * up, so that a series reporting less often than the prefetch (a gap of hours)
 * keeps its increase: only that one point per series is read from there.
 */
export const COUNTER_LOOKBEHIND_SECONDS = 2 * 86400

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
export const SPAN_IS_ERROR_SQL = `StatusCode = '${STATUS_ERROR}'`
export const spanSlowerSql = (thresholdNsSql: string) => `Duration > ${thresholdNsSql}`
/**
 * The field values the atoms of `t` read, as SQL and its parameters: the
 * fixed columns, then the keys each map's atoms look up (plan.ts numbers them
 * in that order). A map no atom looks into is left out of the SQL, not looked
 * up with no keys: naming it makes ClickHouse read the whole map column, the
 * widest of the row (a fifth of the rollup query's time for
 * ResourceAttributes, measured on 3 M spans).
 */
function valsOf(t: AtomTable, fixed: readonly string[], maps: readonly [column: string, param: string][]): { sql: string; params: QueryParams } {
  const params: QueryParams = {}
  const parts = [`[${fixed.join(', ')}]`]
  for (const [column, param] of maps) {
    const keys = t.keysOf(column)
    if (keys.length === 0) continue
    params[param] = keys
    parts.push(mapKeys(column, param))
  }
  return { sql: `arrayConcat(${parts.join(', ')})`, params }
}

/** Spans: ServiceName, SpanName, SpanKind, then the SpanAttributes and ResourceAttributes keys. */
export const spanVals = (t: AtomTable) => valsOf(t, ['ServiceName', 'SpanName', 'SpanKind'], [['SpanAttributes', 'span_keys'], ['ResourceAttributes', 'resource_keys']])
/** Log records: ServiceName, then the LogAttributes and ResourceAttributes keys. */
export const logVals = (t: AtomTable) => valsOf(t, ['ServiceName'], [['LogAttributes', 'log_keys'], ['ResourceAttributes', 'resource_keys']])

export interface SpanGroupRow {
  minute: number
  atoms: number[]
  total: number
  errors: number
  /** Spans slower than each latency threshold (plan order). */
  slower: number[]
}

/** A span's end, Unix seconds (Int64): the time it counts at. A duration beyond Int64 wraps negative and is out of bound. */
const SPAN_END_SECONDS = 'intDiv(toUnixTimestamp64Nano(Timestamp) + toInt64(Duration), 1000000000)'
const SPAN_SELECTION = selectionSql(SPAN_END_SECONDS)

export function spansStatement(plan: RollupPlan['traces'], r: RawSelection): Statement {
  const t = plan.atoms
  const atoms = overVals(t.atoms())
  const vals = spanVals(t)
  const sql = `SELECT minute, atoms, toFloat64(sum(total)) AS total, toFloat64(sum(errors)) AS errors, arrayMap(x -> toFloat64(x), sumForEach(slower)) AS slower
FROM (
  SELECT minute, ${atoms.sql} AS atoms, total, errors, slower
  FROM (
    SELECT ${SPAN_SELECTION.minute} AS minute,
      ${vals.sql} AS vals,
      count() AS total,
      countIf(${SPAN_IS_ERROR_SQL}) AS errors,
      sumForEach(arrayMap(t -> toUInt64(${spanSlowerSql('t')}), {latency_ns:Array(UInt64)})) AS slower
    FROM ${OTEL_TABLES.traces}
    WHERE Timestamp >= toDateTime64({start_from:Int64}, 9) AND Timestamp < toDateTime64({to:Int64}, 9)
      AND ${SPAN_SELECTION.where}
    GROUP BY minute, vals
  )
)
WHERE notEmpty(atoms) OR {keep_unmatched:UInt8} = 1
GROUP BY minute, atoms`
  return {
    sql,
    params: { ...atoms.params, keep_unmatched: plan.slos.some((s) => s.match.require.length === 0) ? 1 : 0, ...vals.params, latency_ns: plan.latencyNs.values, ...selectionParams(r) },
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

const LOG_SELECTION = selectionSql('toInt64(toUnixTimestamp(Timestamp))')

export function logsStatement(plan: RollupPlan['logs'], r: RawSelection): Statement {
  const t = plan.atoms
  const atoms = overVals(t.atoms())
  const body = atomsExpression(plan.bodyAtoms.atoms(), () => 'Body', 'body')
  const vals = logVals(t)
  const sql = `SELECT minute, atoms, body, severity, toFloat64(sum(total)) AS total
FROM (
  SELECT minute, ${atoms.sql} AS atoms, body, severity, total
  FROM (
    SELECT ${LOG_SELECTION.minute} AS minute,
      ${vals.sql} AS vals,
      ${body.sql} AS body,
      SeverityNumber AS severity,
      count() AS total
    FROM ${OTEL_TABLES.logs}
    WHERE Timestamp >= toDateTime64({from:Int64}, 9) AND Timestamp < toDateTime64({to:Int64}, 9)
      AND ${LOG_SELECTION.where}
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
      ...vals.params,
      ...selectionParams(r),
    },
  }
}

/** One series: what the OTel exporter keys a metric stream by. */
const SERIES_KEY = 'ServiceName, MetricName, Attributes, ResourceAttributes, ScopeName'
const SERIES_WINDOW = `WINDOW series AS (PARTITION BY ${SERIES_KEY} ORDER BY TimeUnix ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)`
/** OTLP DataPointFlags bit 0, FLAG_NO_RECORDED_VALUE: the point holds no value (a gap marker), never an increase. */
const RECORDED = 'bitAnd(Flags, 1) = 0'

/**
 * The points of the selected metrics a statement differences: every point from
 * `prefetch_from` (to find each series' previous point) to `to`, plus, for the
 * series whose first point since `prefetch_from` lies inside the range (silent
 * for longer than the prefetch), their last point between `lookbehind_from`
 * and `prefetch_from`. Only those series are looked up there, by the table's
 * primary key (ServiceName, MetricName, Attributes): with no such series it
 * reads nothing. `valid` leaves out points that must never enter the running sums.
 */
function metricPoints(table: string, columns: string, valid: string): string {
  const where = (from: string, to: string) => `${valid} AND MetricName IN {metrics:Array(String)}
          AND TimeUnix >= toDateTime64({${from}:UInt32}, 9) AND TimeUnix < toDateTime64({${to}:UInt32}, 9)`
  return `(
        SELECT ${columns} FROM ${table} WHERE ${where('prefetch_from', 'to')}
        UNION ALL
        SELECT ${columns} FROM ${table} WHERE ${where('lookbehind_from', 'prefetch_from')}
          AND (ServiceName, MetricName, Attributes) IN (
            SELECT ServiceName, MetricName, Attributes FROM ${table} WHERE ${where('prefetch_from', 'to')}
            GROUP BY ServiceName, MetricName, Attributes HAVING min(TimeUnix) >= toDateTime64({from:UInt32}, 9))
        ORDER BY TimeUnix DESC LIMIT 1 BY ${SERIES_KEY}
      )`
}
const IN_RANGE_BY_MINUTE = `WHERE TimeUnix >= toDateTime64({from:UInt32}, 9)
  )
)
WHERE notEmpty(atoms)
GROUP BY minute, atoms`

function metricParams(atoms: { params: QueryParams }, t: RollupPlan['sums']['atoms'], metricNames: readonly string[], r: TimeRange): QueryParams {
  const prefetchFrom = r.fromSeconds - COUNTER_PREFETCH_SECONDS
  return { ...atoms.params, attr_keys: t.keysOf('Attributes'), metrics: [...metricNames], prefetch_from: prefetchFrom, lookbehind_from: Math.max(0, prefetchFrom - COUNTER_LOOKBEHIND_SECONDS), ...range(r) }
}

export interface CounterGroupRow {
  minute: number
  atoms: number[]
  /** Sum of the counters' increases in the minute. */
  increase: number
}

/**
 * Increases of monotonic sums per minute (docs/slo-engine.md, "Counters").
 * Points never counted: NaN, ±Inf or negative values, and OTLP points flagged
 * "no recorded value"; they are left out before differencing, so the next
 * point is compared with the last valid one. Delta points are increases as
 * they are. Cumulative points (OTLP cumulative sums, remote_write counters)
 * are differenced per series (service, metric, attributes, resource, scope):
 *  - a new start time is a reset: the new value is the increase;
 *  - with a known start time, a lower value than before is not a reset (the
 *    start time would have changed): nothing counts until the value rises
 *    above the highest value since that start, and then only the rise above it;
 *  - with no start time (remote_write), a drop is a reset, as in Prometheus.
 * The first point of a series counts only when the series started inside what
 * was read (a counter first seen mid-life has no known previous value, as in
 * Prometheus' increase()).
 */
export function countersStatement(plan: RollupPlan['sums'], metricNames: readonly string[], r: TimeRange): Statement {
  const t = plan.atoms
  const atoms = overVals(t.atoms())
  const columns = 'TimeUnix, Value, StartTimeUnix, AggregationTemporality, ServiceName, MetricName, Attributes, ResourceAttributes, ScopeName'
  const sql = `SELECT toUInt32(minute) AS minute, atoms, sum(increase) AS increase
FROM (
  SELECT toStartOfMinute(TimeUnix) AS minute, ${atoms.sql} AS atoms, increase
  FROM (
    SELECT TimeUnix, vals,
      multiIf(
        AggregationTemporality = 1, Value,
        n = 1, if(StartTimeUnix >= toDateTime64({lookbehind_from:UInt32}, 9), Value, 0),
        StartTimeUnix != prev_start, Value,
        toUnixTimestamp64Nano(StartTimeUnix) = 0, if(Value < prev_value, Value, Value - prev_value),
        greatest(0, Value - prev_max)) AS increase
    FROM (
      SELECT TimeUnix, Value, StartTimeUnix, AggregationTemporality,
        arrayConcat([ServiceName, MetricName], ${mapKeys('Attributes', 'attr_keys')}) AS vals,
        lagInFrame(Value) OVER series AS prev_value,
        lagInFrame(StartTimeUnix) OVER series AS prev_start,
        max(Value) OVER since_start AS prev_max,
        row_number() OVER series AS n
      FROM ${metricPoints(OTEL_TABLES.sum, columns, `IsMonotonic AND ${RECORDED} AND isFinite(Value) AND Value >= 0`)}
      ${SERIES_WINDOW},
      since_start AS (PARTITION BY ${SERIES_KEY}, StartTimeUnix ORDER BY TimeUnix ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING)
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
  const started = 'StartTimeUnix >= toDateTime64({lookbehind_from:UInt32}, 9)'
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
      FROM ${metricPoints(OTEL_TABLES.histogram, 'TimeUnix, Count, StartTimeUnix, AggregationTemporality, ServiceName, MetricName, Attributes, ResourceAttributes, ScopeName, ExplicitBounds, BucketCounts', RECORDED)}
      ${SERIES_WINDOW}
    )
    ${IN_RANGE_BY_MINUTE}`
  return { sql, params: { ...metricParams(atoms, t, metricNames, r), thresholds: plan.thresholds.values } }
}


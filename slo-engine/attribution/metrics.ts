import { OTEL_TABLES, type QueryParams, type Storage } from '../../storage/index.ts'
import type { AttributeMatcher, CounterSelector, HistogramSli, MetricsSli, Slo } from '../model.ts'
import { countRange } from '../rollup/compute.ts'
import { rangeSelection } from '../sli/queries.ts'
import { planRollups, type Condition } from '../sli/plan.ts'
import type { Statement } from '../sli/queries.ts'
import type { DimensionCounts, DimensionSource, ExampleSeries, Totals, ValueCounts } from './rank.ts'
import { atomsSql, conditionSql } from './sql.ts'

// Attribution of counter-ratio and histogram SLIs by the attributes of their
// metric points (docs/attribution.md, "Metric SLIs").
//
// A metric SLI has no events to split, but its series do carry labels: the
// bad part of the SLI for `route="/pay"` is the SLI narrowed to the series
// with that label. So each (key, value) becomes a narrowed copy of the SLO
// (one more attribute matcher on every selector; value '' matches the series
// without the key) and all copies are counted in one go by the engine's own
// rollup queries (rollup/compute.ts countRange): the same increases, resets,
// start times and histogram buckets as the SLO's evaluations. Then
//   bad(v) = total(v) − good(v) over the range (clamped at 0, as the
//   evaluation clamps over windows), budgetShare(v) = bad(v) / bad,
//   trafficShare(v) = total(v) / total.
// Examples are series of the bad part that carry the value (a bad counter's
// series, the total's series the good selector refuses, the histogram's
// series), the ones whose value moved most first.

export type MetricSlo = Slo & { sli: MetricsSli | HistogramSli }
export const isMetricSli = (slo: Slo): slo is MetricSlo => slo.sli.kind === 'metrics' || slo.sli.kind === 'histogram'

/** Reads of the attribution: Storage's query, bounded by the caller. */
type Read = <T>(sql: string, params: QueryParams) => Promise<T[]>

/** The attribute keys the SLI's selectors match on. */
export function selectorKeys(slo: MetricSlo): string[] {
  const sli = slo.sli
  const selectors = sli.kind === 'histogram' ? [sli] : [sli.total, sli.good, sli.bad]
  return selectors.flatMap((s) => s?.attributes.map((a) => a.key) ?? [])
}

const withMatcher = (sel: CounterSelector, m: AttributeMatcher): CounterSelector => ({ ...sel, attributes: [...sel.attributes, m] })

/** The SLO narrowed to the series whose attribute `key` is `value` ('' : not set). */
export function narrowed(slo: MetricSlo, id: string, key: string, value: string): Slo {
  const m: AttributeMatcher = { key, op: 'eq', value }
  const sli = slo.sli
  if (sli.kind === 'histogram') return { ...slo, id, sli: { ...sli, attributes: [...sli.attributes, m] } }
  return { ...slo, id, sli: { ...sli, total: withMatcher(sli.total, m), ...(sli.good && { good: withMatcher(sli.good, m) }), ...(sli.bad && { bad: withMatcher(sli.bad, m) }) } }
}

/** The tables and metric names of the SLO's series (histograms: OTLP points and remote_write `_bucket` / `_count` counters). */
function seriesSources(slo: MetricSlo): { table: string; names: string[] }[] {
  const plan = planRollups([slo])
  const sources: { table: string; names: string[] }[] = [{ table: OTEL_TABLES.sum, names: [...plan.sumMetricNames] }]
  if (slo.sli.kind === 'histogram') sources.push({ table: OTEL_TABLES.histogram, names: [...plan.histogramMetricNames] })
  return sources
}

const IN_RANGE = 'MetricName IN {names:Array(String)} AND TimeUnix >= fromUnixTimestamp64Milli({from_ms:Int64}) AND TimeUnix < fromUnixTimestamp64Milli({to_ms:Int64})'

export interface SeriesKeyRow {
  key: string
  /** Series (of all the SLO's metrics) that carry the key. */
  series: number
  distinctValues: number
  /** Up to the limit, the key's values. */
  values: string[]
}

/** Attribute keys of the SLO's series in the range, with their values (at most `maxValues`, a literal). */
export function seriesKeysStatement(slo: MetricSlo, range: { fromMs: number; toMs: number }, maxValues: number): Statement[] {
  return seriesSources(slo).map(({ table, names }) => ({
    sql: `SELECT key, toFloat64(count()) AS series, toFloat64(uniqExact(value)) AS distinctValues, groupUniqArray(${Math.floor(maxValues)})(value) AS values
FROM (SELECT DISTINCT ServiceName, MetricName, Attributes FROM ${table} WHERE ${IN_RANGE})
ARRAY JOIN mapKeys(Attributes) AS key, mapValues(Attributes) AS value
WHERE key != 'le' AND value != ''
GROUP BY key`,
    params: { names, from_ms: range.fromMs, to_ms: range.toMs },
  }))
}

/** Merges the key rows of several tables (series and values add up; distinct values are at least the largest). */
export function mergeKeyRows(tables: readonly SeriesKeyRow[][], maxValues: number): SeriesKeyRow[] {
  const byKey = new Map<string, SeriesKeyRow>()
  for (const row of tables.flat()) {
    const seen = byKey.get(row.key)
    if (!seen) byKey.set(row.key, { ...row, values: [...row.values] })
    else {
      seen.series += row.series
      seen.values = [...new Set([...seen.values, ...row.values])].slice(0, maxValues)
      seen.distinctValues = Math.max(seen.distinctValues, row.distinctValues, seen.values.length)
    }
  }
  return [...byKey.values()]
}

export interface SeriesRow extends ExampleSeries {
  moved: number
}

/**
 * The series of the bad part, the ones whose value moved most first (an order
 * for examples only: counts come from the rollup queries).
 */
function badSeriesStatement(slo: MetricSlo, range: { fromMs: number; toMs: number }, limit: number): Statement {
  const params: QueryParams = { from_ms: range.fromMs, to_ms: range.toMs, limit }
  const plan = planRollups([slo])
  const sli = slo.sli
  let table: string
  let where: string
  let moved: string
  if (sli.kind === 'histogram') {
    const atoms = atomsSql(plan.histograms.atoms, 'atom', params)
    table = OTEL_TABLES.histogram
    where = conditionSql(plan.histograms.slos[0]!.match, atoms)
    params.names = [...plan.histogramMetricNames]
    moved = 'if(any(AggregationTemporality) = 1, sum(Count), max(Count) - min(Count))'
  } else {
    const atoms = atomsSql(plan.sums.atoms, 'atom', params)
    const p = plan.sums.slos[0]!
    const holds = (c: Condition) => conditionSql(c, atoms)
    table = OTEL_TABLES.sum
    where = p.bad ? holds(p.bad) : `${holds(p.total)} AND NOT ${holds(p.good!)}`
    params.names = [...plan.sumMetricNames]
    moved = 'if(any(AggregationTemporality) = 1, sum(Value), max(Value) - min(Value))'
  }
  return {
    sql: `SELECT MetricName AS metric, ServiceName AS service, Attributes AS attributes, toFloat64(${moved}) AS moved
FROM ${table} WHERE ${IN_RANGE} AND ${where}
GROUP BY MetricName, ServiceName, Attributes
ORDER BY moved DESC, metric, service, toString(attributes)
LIMIT {limit:UInt32}`,
    params,
  }
}

export interface MetricCounts {
  totals: Totals
  dims: DimensionCounts[]
}

/**
 * The SLO's good and total over the range, and those of each (key, value)
 * of `dims`; examples among the first `maxSeries` series of the bad part.
 */
export async function countMetricDimensions(
  slo: MetricSlo,
  range: { fromMs: number; toMs: number },
  dims: readonly { key: string; source: DimensionSource; values: readonly string[] }[],
  read: Read,
  limits: { maxExamples: number; maxSeries: number },
): Promise<MetricCounts> {
  const copies: Slo[] = [slo]
  const ids = dims.map((d, i) => ['', ...d.values].map((value, j) => {
    const id = `${slo.id}\u0000${i}\u0000${j}`
    copies.push(narrowed(slo, id, d.key, value))
    return id
  }))
  const seconds = { fromSeconds: Math.floor(range.fromMs / 1000), toSeconds: Math.ceil(range.toMs / 1000) }
  // countRange reads through Storage's query only: the bounded read stands in for it.
  const { counts } = await countRange({ query: read } as Pick<Storage, 'query'> as Storage, copies, rangeSelection(seconds))
  const sum = (id: string) => {
    let good = 0
    let total = 0
    for (const m of counts.get(id)?.values() ?? []) {
      good += m.good
      total += m.total
    }
    return { total, bad: Math.max(0, total - good) }
  }
  const st = badSeriesStatement(slo, range, limits.maxSeries)
  const series = await read<SeriesRow>(st.sql, st.params)
  const overall = sum(slo.id)
  const totals: Totals = { total: overall.total, bad: overall.bad, totalRead: overall.total, badRead: overall.bad }
  return {
    totals,
    dims: dims.map((d, i) => ({
      key: d.key,
      source: d.source,
      values: ['', ...d.values].map((value, j): ValueCounts => {
        const c = sum(ids[i]![j]!)
        const examples = series.filter((s) => (s.attributes[d.key] ?? '') === value).slice(0, limits.maxExamples)
        return { value: value === '' ? null : value, badRead: c.bad, totalRead: c.total, examples: examples.map(({ moved: _, ...s }) => s) }
      }),
    })),
  }
}

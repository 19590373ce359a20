import type { QueryParams } from '../../storage/index.ts'
import type { Slo } from '../model.ts'
import { ratios } from '../evaluate/evaluate.ts'
import { rankDimensions, type AttributedDimension, type DimensionCounts, type DimensionSource, type Totals, type ValueCounts } from './rank.ts'
import { rangeOverview } from './counts.ts'
import { chooseStep, type Sampling } from './sample.ts'
import { countMetricDimensions, isMetricSli, selectorKeys, mergeKeyRows, seriesKeysStatement, type MetricSlo, type SeriesKeyRow } from './metrics.ts'
import { badValuesStatement, isEventSli, MAX_EXAMPLES, OTHER_VALUE, sourceOf, totalsStatement, type AttributableSlo, type AttributionRange, type BadValueRow, type DimensionKey, type KeyOrigin, type OverviewRow, type Source, type TotalRow } from './sql.ts'

// Where an SLO's budget went in a range: per attribute, the values that
// burnt it, ranked (rank.ts), from three bounded reads (sql.ts): the exact
// counts, then the bad events' attributes, then the events of the values
// that hold bad events. Above a size, the last two read a deterministic
// sample of blocks (sample.ts), and the answer says so.

/** Options of one read: stop after `breakAfterSeconds` and answer with what was read (ClickHouse timeout_overflow_mode = break). */
export interface AttributionReadOptions {
  breakAfterSeconds: number
}
/** A bounded read (the API's telemetry reads: read-only, time-limited, queued). */
export type AttributionQuery = <T>(sql: string, params: QueryParams, options?: AttributionReadOptions) => Promise<T[]>

export const ATTRIBUTION_LIMITS = {
  /** Rows one sampled read may read at most (blocks × 8192): above, every k-th block only. */
  maxRowsPerRead: 1_000_000,
  /** Each sampled read stops after this and answers with what it read (flagged partial). */
  readSeconds: 3,
  /** Automatic candidates: at most this many keys, the ones set on the most bad events. */
  maxCandidateKeys: 12,
  /** A key with more distinct values among the bad events read is an identifier, not a dimension (request ids, urls). */
  maxCandidateValues: 200,
  /** A key set on fewer of the bad events read than this share is not a candidate. */
  minCandidateCoverage: 0.05,
  /** Values read per dimension (the most bad events first); the score is computed over them. */
  maxValuesRead: 50,
  /** Values reported per dimension. */
  maxValues: 10,
  /** Discovered dimensions with a lower concentration are not reported: they do not explain the burn. */
  minConcentration: 0.1,
  /** Dimensions named by the SLO's spec and the request together. */
  maxExplicitKeys: 20,
} as const

export interface AttributionRequest {
  range: AttributionRange
  /** Only these dimensions (no discovery); undefined: the spec's `attribution` keys plus discovered ones. */
  dimensions?: readonly string[]
  /** Overrides ATTRIBUTION_LIMITS.maxRowsPerRead (tests and benchmarks; Infinity: never sample). */
  maxRowsPerRead?: number
  /** Overrides ATTRIBUTION_LIMITS.readSeconds (tests). */
  readSeconds?: number
}

export interface Attribution {
  sloId: string
  sliKind: 'spans' | 'logs' | 'metrics' | 'histogram'
  fromMs: number
  toMs: number
  total: number
  bad: number
  /** Bad ÷ total in the range (0 without events). */
  errorRatio: number
  /** What the objective allows: 1 - objective. */
  allowedErrorRatio: number
  /** True when a value's counts are estimated from a sample (or a read stopped early): see `sampling`. */
  estimated: boolean
  sampling: Sampling
  dimensions: AttributedDimension[]
}

export class NotAttributableError extends Error {}

/** Metric SLIs: series of the bad part read for examples. */
const MAX_EXAMPLE_SERIES = 1000

const L = ATTRIBUTION_LIMITS

const originOf = (r: BadValueRow): KeyOrigin => (r.keyOwn === r.keyBad ? 'own' : r.keyOwn === 0 ? 'resource' : 'both')

/** The discovered keys among the bad events read: set on enough of them, not identifiers, the most set first. */
function discovered(keys: readonly BadValueRow[], badRead: number, skip: ReadonlySet<string>): DimensionKey[] {
  return keys
    .filter((r) => !skip.has(r.key) && r.key !== 'service.name' && r.distinctValues <= L.maxCandidateValues && r.keyBad >= badRead * L.minCandidateCoverage)
    .sort((a, b) => b.keyBad - a.keyBad || a.key.localeCompare(b.key))
    .slice(0, L.maxCandidateKeys)
    .map((r) => ({ key: r.key, origin: originOf(r) }))
}

/** Runs one sampled read with the time budget. */
async function timedRead<T>(query: AttributionQuery, st: { sql: string; params: QueryParams }, seconds: number): Promise<{ rows: T[]; outOfTime: boolean }> {
  const started = performance.now()
  const rows = await query<T>(st.sql, st.params, { breakAfterSeconds: seconds })
  return { rows, outOfTime: performance.now() - started >= seconds * 1000 }
}

/** A read stopped by its time budget: it ran out of time and read fewer events than its sample holds (read 1 counted them). */
const partialRead = (outOfTime: boolean, read: number, expected: number) => outOfTime && read < expected

/** Per dimension, its values with bad events (and not set), with what the two reads held of each. */
function countsOf(dims: readonly { key: DimensionKey; source: DimensionSource }[], bad: Map<string, BadValueRow[]>, totals: readonly TotalRow[], badRead: number): DimensionCounts[] {
  return dims.map(({ key, source }) => {
    const rows = bad.get(key.key) ?? []
    const totalOf = (value: string) => totals.find((t) => t.key === key.key && t.value === value)?.total ?? 0
    const values: ValueCounts[] = rows.map((r) => ({ value: r.value, badRead: r.bad, totalRead: totalOf(r.value), examples: r.examples }))
    const unset = badRead - (rows[0]?.keyBad ?? 0)
    const unsetTotal = totalOf('')
    if (unset > 0 || unsetTotal > 0) values.push({ value: null, badRead: unset, totalRead: unsetTotal, examples: [] })
    return { key: key.key, source, values }
  })
}

/** The keys the request names, else the spec's `attribution` keys. */
function namedKeys(slo: Slo, req: AttributionRequest): { key: string; source: DimensionSource }[] {
  return req.dimensions ? req.dimensions.map((key) => ({ key, source: 'query' })) : (slo.attribution ?? []).map((key) => ({ key, source: 'spec' }))
}

/** The answer around the ranked dimensions; `estimated` when a read was a sample, or stopped early. */
function answer(slo: Slo, req: AttributionRequest, t: Totals, sampling: Sampling, dimensions: AttributedDimension[]): Attribution {
  return {
    sloId: slo.id,
    sliKind: slo.sli.kind as Attribution['sliKind'],
    fromMs: req.range.fromMs,
    toMs: req.range.toMs,
    total: t.total,
    bad: t.bad,
    errorRatio: t.total > 0 ? t.bad / t.total : 0,
    allowedErrorRatio: ratios(slo).errorBudget,
    estimated: t.badRead !== t.bad || t.totalRead !== t.total || sampling.badEvents.partial || sampling.events.partial,
    sampling,
    dimensions,
  }
}

async function attributeEvents(slo: AttributableSlo, req: AttributionRequest, query: AttributionQuery): Promise<Attribution> {
  const source: Source = sourceOf(slo)
  const overview = await rangeOverview(slo, source, req.range, query)
  const step = chooseStep(overview, req.maxRowsPerRead ?? L.maxRowsPerRead)
  const named = namedKeys(slo, req)

  const seconds = req.readSeconds ?? L.readSeconds
  const badRead = await timedRead<BadValueRow>(query, badValuesStatement(source, req.range, step.bad.k, req.dimensions, L.maxValuesRead), seconds)
  const byKey = groupByKey(badRead.rows)
  const badReadCount = byKey.get('')?.[0]?.bad ?? 0
  const dims: { key: DimensionKey; source: DimensionSource }[] = named.map((n) => ({ key: { key: n.key, origin: 'both' }, source: n.source }))
  if (!req.dimensions) {
    const firsts = [...byKey.values()].map((rows) => rows[0]!).filter((r) => r.key !== '')
    for (const key of discovered(firsts, badReadCount, new Set(named.map((n) => n.key)))) dims.push({ key, source: 'discovered' })
  }

  const candidates = dims.map((d) => ({ key: d.key, candidates: (byKey.get(d.key.key) ?? []).map((r) => r.value) }))
  const totalsRead = await timedRead<TotalRow>(query, totalsStatement(source, req.range, step.events.k, candidates), seconds)
  const exact = overview.find((o) => o.k === 1)
  const totals: Totals = {
    total: exact?.total ?? 0,
    bad: exact?.bad ?? 0,
    totalRead: totalsRead.rows.find((t) => t.key === '')?.total ?? 0,
    badRead: badReadCount,
  }
  const sampling: Sampling = {
    badEvents: { rate: 1 / step.bad.k, read: totals.badRead, partial: partialRead(badRead.outOfTime, totals.badRead, step.bad.bad) },
    events: { rate: 1 / step.events.k, read: totals.totalRead, partial: partialRead(totalsRead.outOfTime, totals.totalRead, step.events.total) },
  }
  const counts = countsOf(dims, byKey, totalsRead.rows.filter((t) => t.value !== OTHER_VALUE), totals.badRead)
  return answer(slo, req, totals, sampling, rankDimensions(counts, totals, slo.sli.kind === 'logs' ? 'logs' : 'traces', L))
}

/** Metric SLIs: keys of the SLO's series (named ones, or those set on most series, not identifiers), counted by metrics.ts. */
async function attributeMetrics(slo: MetricSlo, req: AttributionRequest, query: AttributionQuery): Promise<Attribution> {
  const keyRows = mergeKeyRows(await Promise.all(seriesKeysStatement(slo, req.range, L.maxCandidateValues).map((st) => query<SeriesKeyRow>(st.sql, st.params))), L.maxCandidateValues)
  const valuesOf = (key: string) => keyRows.find((r) => r.key === key)?.values.sort() ?? []
  const named = namedKeys(slo, req)
  const dims = named.map((n) => ({ ...n, values: valuesOf(n.key) }))
  if (!req.dimensions) {
    // Keys the selectors match on define the bad part (code="500"): they are not found, only asked for.
    const skip = new Set([...named.map((n) => n.key), 'service.name', ...selectorKeys(slo)])
    const found = keyRows
      .filter((r) => !skip.has(r.key) && r.distinctValues <= L.maxCandidateValues)
      .sort((a, b) => b.series - a.series || a.key.localeCompare(b.key))
      .slice(0, L.maxCandidateKeys)
    for (const r of found) dims.push({ key: r.key, source: 'discovered', values: valuesOf(r.key) })
  }
  const counted = await countMetricDimensions(slo, req.range, dims, query, { maxExamples: MAX_EXAMPLES, maxSeries: MAX_EXAMPLE_SERIES })
  const t = counted.totals
  const whole = { rate: 1, partial: false }
  return answer(slo, req, t, { badEvents: { ...whole, read: t.bad }, events: { ...whole, read: t.total } }, rankDimensions(counted.dims, t, 'series', L))
}

function groupByKey(rows: readonly BadValueRow[]): Map<string, BadValueRow[]> {
  const byKey = new Map<string, BadValueRow[]>()
  for (const r of rows) {
    const list = byKey.get(r.key)
    if (list) list.push(r)
    else byKey.set(r.key, [r])
  }
  return byKey
}

export const isAttributable = (slo: Slo): boolean => isEventSli(slo) || isMetricSli(slo)

export async function attributeBurn(slo: Slo, req: AttributionRequest, query: AttributionQuery): Promise<Attribution> {
  if (isEventSli(slo)) return attributeEvents(slo, req, query)
  if (isMetricSli(slo)) return attributeMetrics(slo, req, query)
  throw new NotAttributableError(`SLO ${slo.id} has a ${slo.sli.kind} SLI: attribution reads span, log, counter and histogram SLIs only`)
}

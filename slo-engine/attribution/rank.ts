// Ranking, pure. For one SLO over one range: B bad events among N events.
// For a dimension (attribute key) k and each of its values v, with b_v bad
// events among n_v events:
//
//   budgetShare(v)  = b_v / B        the share of the budget burnt in the range that v burnt
//   trafficShare(v) = n_v / N        the share of all events that carry v
//   errorRatio(v)   = b_v / n_v      beside the SLO's B / N
//
//   concentration(k) = max over v of (budgetShare(v) - trafficShare(v))
//
// A value that fails like the rest has budgetShare ≈ trafficShare, so an
// attribute spread evenly (every pod failing alike) scores ≈ 0 however many
// errors it carries, while a value that holds 10 % of the traffic and 90 % of
// the errors scores 0.8. The score is in [0, 1), does not grow with the
// number of values (a request-id attribute scores at most 1/B), and reads
// as "this much of the burn is in excess of what v's traffic explains".
// Only values with bad events can have a positive gap, so only their events
// are counted.
//
// On a sample (attribute.ts), the shares are those of the sample read
// (b_v / B read, n_v / N read) and the counts are the shares times the exact
// B and N: estimates, flagged as such.

export type DimensionSource = 'query' | 'spec' | 'discovered'

export interface LogExample {
  timeMs: number
  traceId: string
  spanId: string
  body: string
}

export interface AttributedValue {
  /** null: the attribute is not set on these events. */
  value: string | null
  bad: number
  total: number
  budgetShare: number
  trafficShare: number
  errorRatio: number
  exampleTraceIds: string[]
  /** Log SLIs: example bad log records. */
  exampleLogs?: LogExample[]
  /** Counter and histogram SLIs: example series of the bad part. */
  exampleSeries?: ExampleSeries[]
}

export interface ExampleSeries {
  metric: string
  service: string
  attributes: Record<string, string>
}

/** What the examples of a value are: trace ids, log records, or metric series. */
export type ExampleKind = 'traces' | 'logs' | 'series'

export interface AttributedDimension {
  key: string
  source: DimensionSource
  concentration: number
  values: AttributedValue[]
}

export interface RankOptions {
  /** Values shown per dimension (those with bad events, most first). */
  maxValues: number
  /** Discovered dimensions scoring below this are not reported. */
  minConcentration: number
}

/** What was read of one value: bad and all events in the samples read, and examples of bad ones. */
export interface ValueCounts {
  value: string | null
  badRead: number
  totalRead: number
  examples: unknown[]
}

export interface DimensionCounts {
  key: string
  source: DimensionSource
  values: ValueCounts[]
}

/** The exact totals of the range and what the samples held. Equal when nothing was sampled. */
export interface Totals {
  total: number
  bad: number
  totalRead: number
  badRead: number
}

const ratio = (a: number, b: number) => (b > 0 ? a / b : 0)

/** Example trace ids for spans; example records (and their trace ids) for logs. */
export function examplesOf(examples: readonly unknown[], kind: ExampleKind): Pick<AttributedValue, 'exampleTraceIds' | 'exampleLogs' | 'exampleSeries'> {
  if (kind === 'series') return { exampleTraceIds: [], exampleSeries: examples as ExampleSeries[] }
  if (kind === 'traces') return { exampleTraceIds: (examples as string[]).filter((t) => t !== '').sort() }
  const records = (examples as [number | string, string, string, string][])
    .map(([timeMs, traceId, spanId, body]) => ({ timeMs: Number(timeMs), traceId, spanId, body }))
    .sort((a, b) => a.timeMs - b.timeMs || a.spanId.localeCompare(b.spanId))
  return { exampleTraceIds: [...new Set(records.map((r) => r.traceId).filter((t) => t !== ''))], exampleLogs: records }
}

function valueOf(v: ValueCounts, t: Totals, kind: ExampleKind): AttributedValue {
  const budgetShare = ratio(v.badRead, t.badRead)
  const trafficShare = ratio(v.totalRead, t.totalRead)
  // Exact reads are reported as read; sampled ones scaled to the exact totals (a value cannot have fewer events than bad ones).
  const bad = t.badRead === t.bad ? v.badRead : Math.round(budgetShare * t.bad)
  const total = Math.max(bad, t.totalRead === t.total ? v.totalRead : Math.round(trafficShare * t.total))
  return { value: v.value, bad, total, budgetShare, trafficShare, errorRatio: ratio(bad, total), ...examplesOf(v.examples, kind) }
}

/** The dimensions, ranked by concentration; discovered ones below the threshold left out. */
export function rankDimensions(dims: readonly DimensionCounts[], t: Totals, kind: ExampleKind, opts: RankOptions): AttributedDimension[] {
  const ranked: AttributedDimension[] = []
  for (const d of dims) {
    const values = d.values.map((v) => valueOf(v, t, kind))
    const concentration = Math.max(0, ...values.map((v) => v.budgetShare - v.trafficShare))
    if (d.source === 'discovered' && (t.bad === 0 || concentration < opts.minConcentration)) continue
    const shown = values
      .filter((v) => v.bad > 0)
      .sort((a, b) => b.budgetShare - a.budgetShare || b.errorRatio - a.errorRatio || String(a.value).localeCompare(String(b.value)))
      .slice(0, opts.maxValues)
    ranked.push({ key: d.key, source: d.source, concentration, values: shown })
  }
  return ranked.sort((a, b) => b.concentration - a.concentration || a.key.localeCompare(b.key))
}

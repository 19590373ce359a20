import type { ValueRow } from './sql.ts'

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
}

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

const ratio = (a: number, b: number) => (b > 0 ? a / b : 0)

function examplesOf(row: ValueRow, logs: boolean): Pick<AttributedValue, 'exampleTraceIds' | 'exampleLogs'> {
  if (!logs) return { exampleTraceIds: (row.examples as string[]).filter((t) => t !== '').sort() }
  const records = (row.examples as [number | string, string, string, string][])
    .map(([timeMs, traceId, spanId, body]) => ({ timeMs: Number(timeMs), traceId, spanId, body }))
    .sort((a, b) => a.timeMs - b.timeMs || a.spanId.localeCompare(b.spanId))
  return { exampleTraceIds: [...new Set(records.map((r) => r.traceId).filter((t) => t !== ''))], exampleLogs: records }
}

/** The dimensions of `keys` (with their sources), ranked by concentration, from the rows of valuesStatement. */
export function rankDimensions(rows: readonly ValueRow[], keys: ReadonlyMap<string, DimensionSource>, logs: boolean, opts: RankOptions): { total: number; bad: number; dimensions: AttributedDimension[] } {
  const overall = rows.find((r) => r.key === '')
  const total = overall?.total ?? 0
  const bad = overall?.bad ?? 0
  const dimensions: AttributedDimension[] = []
  for (const [key, source] of keys) {
    const mine = rows.filter((r) => r.key === key)
    const values = mine.map((r) => ({
      value: r.value === '' ? null : r.value,
      bad: r.bad,
      total: r.total,
      budgetShare: ratio(r.bad, bad),
      trafficShare: ratio(r.total, total),
      errorRatio: ratio(r.bad, r.total),
      ...examplesOf(r, logs),
    }))
    const concentration = Math.max(0, ...values.map((v) => v.budgetShare - v.trafficShare))
    if (source === 'discovered' && (bad === 0 || concentration < opts.minConcentration)) continue
    const shown = values
      .filter((v) => v.bad > 0)
      .sort((a, b) => b.bad - a.bad || b.errorRatio - a.errorRatio || String(a.value).localeCompare(String(b.value)))
      .slice(0, opts.maxValues)
    dimensions.push({ key, source, concentration, values: shown })
  }
  dimensions.sort((a, b) => b.concentration - a.concentration || a.key.localeCompare(b.key))
  return { total, bad, dimensions }
}

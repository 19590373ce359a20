import type { Slo } from '../model.ts'
import { attributeBurn, isAttributable, type Attribution, type AttributionQuery } from './attribute.ts'

// One line for a page or ticket: where the burn of the last hour sits.
//   "95 % of the burn: http.route=/pay; also service.version=1.4.2 (90 %) — example trace 4bf9…"
// A dimension's top value is named when it holds at least half of the bad
// events and the dimension concentrates them (a uniform attribute is no lead).

const MIN_SHARE = 0.5
const MAX_NAMED = 3
/** The range an alert's line reads: the page's quick long window. */
export const SUMMARY_RANGE_MS = 3_600_000

const pct = (x: number) => `${Math.round(100 * x)} %`

export function burnSummary(a: Attribution): string | undefined {
  const leads = a.dimensions
    .filter((d) => d.concentration > 0)
    .map((d) => ({ key: d.key, top: d.values[0] }))
    .filter((l) => l.top !== undefined && l.top.value !== null && l.top.budgetShare >= MIN_SHARE)
    .slice(0, MAX_NAMED)
  const [first, ...rest] = leads
  if (!first) return undefined
  const also = rest.length ? `; also ${rest.map((l) => `${l.key}=${l.top!.value} (${pct(l.top!.budgetShare)})`).join(', ')}` : ''
  const trace = first.top!.exampleTraceIds[0]
  return `${pct(first.top!.budgetShare)} of the burn: ${first.key}=${first.top!.value}${also}${trace ? ` — example trace ${trace}` : ''}`
}

/** The line for `slo` at `atMs` (its last hour), or undefined for SLIs attribution does not read or when nothing stands out. */
export function burnExplainer(query: AttributionQuery): (slo: Slo, atMs: number) => Promise<string | undefined> {
  return async (slo, atMs) => {
    if (!isAttributable(slo)) return undefined
    return burnSummary(await attributeBurn(slo, { range: { fromMs: atMs - SUMMARY_RANGE_MS, toMs: atMs } }, query))
  }
}

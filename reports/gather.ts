import { loadAlertStateChanges, type AlertStateChange } from '../alerts/index.ts'
import { attributeBurn, isAttributable, readClosingEvaluations, readPeriodCounts, type AttributionQuery, type Slo } from '../slo-engine/index.ts'
import type { Storage } from '../storage/index.ts'
import { buildReport, type ContributorResult, type Report } from './build.ts'
import { reportPeriods, type PeriodRange, type ReportPeriod } from './period.ts'

// Reads what a report needs (closing evaluations, alert changes, attribution's
// top value per SLO) and builds it. Attribution is the costly part: it runs
// one SLO at a time through the API's bounded reads, over at most
// `attributionMaxRangeMs` of the period, and stops at a deadline; an SLO it
// could not read says why instead of failing the report.

export interface ReportRequest {
  period: ReportPeriod
  /** The report covers the last period complete at this time. */
  atMs: number
  nowMs: number
  slos: readonly Slo[]
  filter: Report['filter']
}

export interface ReportSources {
  storage: Storage
  /** Attribution's bounded read; undefined: no attribution. */
  attributionQuery?: AttributionQuery
  attributionMaxRangeMs: number
  /** Time all attribution reads of one report may take together. */
  attributionBudgetMs: number
}

/** Alert changes kept per SLO: enough for a month of firings and resolutions. */
const ALERT_CHANGES_LIMIT = 1000
/** Alert-history reads at once: a thousand SLOs must not become a thousand concurrent queries. */
const ALERT_READS_AT_ONCE = 8

async function alertChanges(storage: Storage, ids: readonly string[]): Promise<Map<string, AlertStateChange[]>> {
  const out = new Map<string, AlertStateChange[]>()
  for (let i = 0; i < ids.length; i += ALERT_READS_AT_ONCE) {
    const batch = ids.slice(i, i + ALERT_READS_AT_ONCE)
    const changes = await Promise.all(batch.map((id) => loadAlertStateChanges(storage, id, ALERT_CHANGES_LIMIT)))
    batch.forEach((id, j) => out.set(id, changes[j]!))
  }
  return out
}

async function contributors(slos: readonly Slo[], range: PeriodRange, src: ReportSources, notes: string[]): Promise<Map<string, ContributorResult>> {
  const out = new Map<string, ContributorResult>()
  const query = src.attributionQuery
  if (!query) return out
  const fromMs = Math.max(range.startMs, range.endMs - src.attributionMaxRangeMs)
  if (fromMs > range.startMs) notes.push(`contributors: attribution reads the last ${Math.round(src.attributionMaxRangeMs / 86_400_000)} days of the period only (api.reads.maxRangeDays)`)
  const deadline = Date.now() + src.attributionBudgetMs
  const outOfTime = `not read: the report's attribution time (${src.attributionBudgetMs / 1000} s) ran out`
  for (const slo of slos.filter(isAttributable)) {
    const left = deadline - Date.now()
    out.set(slo.id, left <= 0 ? { skipped: outOfTime } : await topContributor(slo, { fromMs, toMs: range.endMs }, query, left, outOfTime))
  }
  return out
}

async function topContributor(slo: Slo, range: { fromMs: number; toMs: number }, query: AttributionQuery, timeoutMs: number, outOfTime: string): Promise<ContributorResult> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), timeoutMs)))
  try {
    const a = await Promise.race([attributeBurn(slo, { range }, query), timeout])
    if (a === 'timeout') return { skipped: outOfTime }
    const value = a.bad > 0 ? a.dimensions[0]?.values[0] : undefined
    const top = value && a.dimensions[0] ? { key: a.dimensions[0].key, value: value.value, budgetShare: value.budgetShare, ...(value.exampleTraceIds[0] && { exampleTraceId: value.exampleTraceIds[0] }) } : null
    return { top, ...range }
  } catch (err) {
    return { skipped: `not read: ${(err as Error).message}` }
  } finally {
    clearTimeout(timer)
  }
}

export async function makeReport(req: ReportRequest, src: ReportSources): Promise<Report> {
  const { current, previous } = reportPeriods(req.period, req.atMs)
  const { previous: beforePrevious } = reportPeriods(req.period, previous.endMs)
  const ids = req.slos.map((s) => s.id)
  const notes: string[] = []
  const [closings, changes, counts] = await Promise.all([
    readClosingEvaluations(src.storage, ids, [beforePrevious, previous, current]),
    alertChanges(src.storage, ids),
    readPeriodCounts(src.storage, req.slos, [previous, current]),
  ])
  const contributorsBySlo = await contributors(req.slos, current, src, notes)
  return buildReport({
    period: req.period,
    current,
    previous,
    nowMs: req.nowMs,
    filter: req.filter,
    slos: req.slos,
    closings: [closings[0]!, closings[1]!, closings[2]!],
    periodCounts: [counts[0]!, counts[1]!],
    alertChanges: changes,
    contributors: contributorsBySlo,
    notes,
  })
}

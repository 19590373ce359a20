import { periodStartSeconds, sloRatios, type PeriodCounts, type Slo, type SloEvaluation } from '../slo-engine/index.ts'
import type { AlertStateChange } from '../alerts/index.ts'
import type { PeriodRange, ReportPeriod } from './period.ts'

// The report, built from already-read figures (no I/O here). Definitions in
// docs/reports.md: an SLO's SLI for a period is the period's own, from its
// rollups (good ÷ events in the period), or, when the rollups no longer hold
// the period, its closing evaluation's (over the SLO's window); budget figures
// come from the closing evaluations (the last `ok` evaluation in the period):
// budget spent is the remaining budget the period opened with minus the one at
// its close.

export interface AlertFiring {
  severity: string
  firedAtMs: number
  /** undefined: still firing at the end of the period (or when the report was made). */
  resolvedAtMs?: number
  /** Resolved − fired; for a firing not resolved, until the earlier of the period's end and now. */
  durationSeconds: number
}

export interface Contributor {
  key: string
  value: string | null
  budgetShare: number
  exampleTraceId?: string
}

/** What attribution said for one SLO: its top value, nothing to blame, or why it was not read. */
export type ContributorResult = { top: Contributor | null; fromMs: number; toMs: number } | { skipped: string }

export interface PeriodFigures {
  evaluatedAtMs: number | null
  objective: number | null
  sli: number | null
  /** What `sli` is over: the period itself (its rollups), or the SLO's window at the closing evaluation; null without an SLI. */
  sliOver: 'period' | 'window' | null
  /** Events (or slices) and bad ones in the period, from the rollups; null when they do not hold the period. */
  events: PeriodCounts | null
  /** sli ≥ objective; null without data. */
  met: boolean | null
  budgetRemaining: number | null
  /** Fraction of the error budget spent in the period: remaining at the opening − remaining at the close; null without both. */
  budgetSpent: number | null
  alerts: AlertFiring[]
  alertSeconds: number
}

export interface SloReport extends PeriodFigures {
  id: string
  name: string
  service: string
  team: string | null
  previous: PeriodFigures
  change: { sli: number | null; budgetSpent: number | null; alerts: number; met: 'kept' | 'recovered' | 'lost' | null }
  contributor: ContributorResult | null
}

export interface Report {
  period: ReportPeriod
  current: PeriodRange
  previous: PeriodRange
  generatedAtMs: number
  filter: { service?: string; label?: string }
  summary: { slos: number; met: number; missed: number; noData: number; alertsFired: number; alertSeconds: number }
  teams: { team: string | null; services: { service: string; slos: SloReport[] }[] }[]
  notes: string[]
}

export interface ReportInputs {
  period: ReportPeriod
  current: PeriodRange
  previous: PeriodRange
  nowMs: number
  filter: Report['filter']
  slos: readonly Slo[]
  /** Closing evaluations of [period before previous, previous, current]. */
  closings: readonly [Map<string, SloEvaluation>, Map<string, SloEvaluation>, Map<string, SloEvaluation>]
  /** Each SLO's events in [previous, current], from its rollups (absent when they do not hold the period). */
  periodCounts: readonly [Map<string, PeriodCounts>, Map<string, PeriodCounts>]
  alertChanges: Map<string, readonly AlertStateChange[]>
  contributors: Map<string, ContributorResult>
  notes: string[]
}

const TEAM_LABEL = 'team'

/** Each firing once (the changes repeat it per state row), with its resolution when recorded. */
export function alertFirings(changes: readonly AlertStateChange[], range: PeriodRange, nowMs: number): AlertFiring[] {
  const byFiring = new Map<string, AlertFiring>()
  for (const c of changes) {
    if (c.firedAtMs === undefined || c.firedAtMs < range.startMs || c.firedAtMs >= range.endMs) continue
    const key = `${c.severity}@${c.firedAtMs}`
    const resolved = c.resolvedAtMs !== undefined && c.resolvedAtMs >= c.firedAtMs ? c.resolvedAtMs : undefined
    const seen = byFiring.get(key)
    if (seen && (seen.resolvedAtMs !== undefined || resolved === undefined)) continue
    const until = resolved ?? Math.min(range.endMs, nowMs)
    byFiring.set(key, { severity: c.severity, firedAtMs: c.firedAtMs, ...(resolved !== undefined && { resolvedAtMs: resolved }), durationSeconds: Math.max(0, until - c.firedAtMs) / 1000 })
  }
  return [...byFiring.values()].sort((a, b) => a.firedAtMs - b.firedAtMs || a.severity.localeCompare(b.severity))
}

/** a − b, rounded to 12 decimals: 0.7 − 0.25 is 0.45 in the report, not 0.44999999999999996. */
const diff = (a: number | null, b: number | null): number | null => (a === null || b === null ? null : Math.round((a - b) * 1e12) / 1e12)

/**
 * The remaining budget the period opened with: the previous close's, or the
 * full budget (1) when the SLO's calendar window restarted since then (a
 * monthly window in a monthly report: spending starts afresh).
 */
function openingRemaining(slo: Slo, close: SloEvaluation | undefined, open: SloEvaluation | undefined): number | null {
  if (!close || !open) return null
  const w = slo.window
  if (w.kind === 'calendar' && periodStartSeconds(close.evaluatedAtMs / 1000, w.period, w.timeZone) * 1000 > open.evaluatedAtMs) return 1
  return open.budgetRemainingRatio
}

/** The period's own SLI when the rollups hold it, else the closing evaluation's (over the SLO's window). */
function periodSli(close: SloEvaluation | undefined, counts: PeriodCounts | undefined): Pick<PeriodFigures, 'sli' | 'sliOver' | 'events'> {
  if (counts) return { sli: counts.total > 0 ? (counts.total - counts.bad) / counts.total : null, sliOver: counts.total > 0 ? 'period' : null, events: counts }
  const sli = close?.sli ?? null
  return { sli, sliOver: sli === null ? null : 'window', events: null }
}

function figures(slo: Slo, close: SloEvaluation | undefined, open: SloEvaluation | undefined, counts: PeriodCounts | undefined, alerts: AlertFiring[]): PeriodFigures {
  const { sli, sliOver, events } = periodSli(close, counts)
  const objective = close?.objectiveRatio ?? (sli === null ? null : sloRatios(slo).objective)
  const remaining = close?.budgetRemainingRatio ?? null
  const opening = openingRemaining(slo, close, open)
  return {
    evaluatedAtMs: close?.evaluatedAtMs ?? null,
    objective,
    sli,
    sliOver,
    events,
    met: sli === null || objective === null ? null : sli >= objective,
    budgetRemaining: remaining,
    budgetSpent: diff(opening, remaining),
    alerts,
    alertSeconds: alerts.reduce((s, a) => s + a.durationSeconds, 0),
  }
}

function metChange(now: boolean | null, before: boolean | null): SloReport['change']['met'] {
  if (now === null || before === null) return null
  if (now) return before ? 'kept' : 'recovered'
  return before ? 'lost' : 'kept'
}

function sloReport(slo: Slo, inputs: ReportInputs): SloReport {
  const [beforePrevious, previousClose, currentClose] = inputs.closings
  const changes = inputs.alertChanges.get(slo.id) ?? []
  const [previousCounts, currentCounts] = inputs.periodCounts
  const current = figures(slo, currentClose.get(slo.id), previousClose.get(slo.id), currentCounts.get(slo.id), alertFirings(changes, inputs.current, inputs.nowMs))
  const previous = figures(slo, previousClose.get(slo.id), beforePrevious.get(slo.id), previousCounts.get(slo.id), alertFirings(changes, inputs.previous, inputs.nowMs))
  return {
    id: slo.id,
    name: slo.displayName ?? slo.name,
    service: slo.service,
    team: slo.labels[TEAM_LABEL] ?? null,
    ...current,
    previous,
    change: {
      sli: diff(current.sli, previous.sli),
      budgetSpent: diff(current.budgetSpent, previous.budgetSpent),
      alerts: current.alerts.length - previous.alerts.length,
      met: metChange(current.met, previous.met),
    },
    contributor: inputs.contributors.get(slo.id) ?? null,
  }
}

/** Teams by name (no team last), services and SLOs by name. */
function grouped(reports: SloReport[]): Report['teams'] {
  const teams = new Map<string | null, Map<string, SloReport[]>>()
  for (const r of reports) {
    const services = teams.get(r.team) ?? teams.set(r.team, new Map()).get(r.team)!
    services.set(r.service, [...(services.get(r.service) ?? []), r])
  }
  const order = (a: string | null, b: string | null) => (a === null ? 1 : b === null ? -1 : a.localeCompare(b))
  return [...teams.entries()]
    .sort(([a], [b]) => order(a, b))
    .map(([team, services]) => ({
      team,
      services: [...services.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([service, slos]) => ({ service, slos: slos.sort((a, b) => a.id.localeCompare(b.id)) })),
    }))
}

export function buildReport(inputs: ReportInputs): Report {
  const reports = inputs.slos.map((slo) => sloReport(slo, inputs))
  return {
    period: inputs.period,
    current: inputs.current,
    previous: inputs.previous,
    generatedAtMs: inputs.nowMs,
    filter: inputs.filter,
    summary: {
      slos: reports.length,
      met: reports.filter((r) => r.met === true).length,
      missed: reports.filter((r) => r.met === false).length,
      noData: reports.filter((r) => r.met === null).length,
      alertsFired: reports.reduce((s, r) => s + r.alerts.length, 0),
      alertSeconds: reports.reduce((s, r) => s + r.alertSeconds, 0),
    },
    teams: grouped(reports),
    notes: inputs.notes,
  }
}

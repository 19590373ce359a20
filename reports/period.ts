// Report periods: ISO calendar weeks (Monday 00:00 UTC) and calendar months
// (the 1st, 00:00 UTC). A report covers the last period that is complete at
// `atMs` (default now); the previous period is the one just before it.

export type ReportPeriod = 'week' | 'month'

export interface PeriodRange {
  startMs: number
  /** Exclusive. */
  endMs: number
}

const DAY_MS = 86_400_000

/** Start of the period (of this kind) that contains `ms`. */
function startOf(period: ReportPeriod, ms: number): number {
  const d = new Date(ms)
  if (period === 'month') return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1)
  const midnight = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate())
  // getUTCDay: Sunday 0 … Saturday 6; ISO weeks start on Monday.
  return midnight - ((d.getUTCDay() + 6) % 7) * DAY_MS
}

/** The period just before one starting at `startMs`. */
function before(period: ReportPeriod, startMs: number): PeriodRange {
  return { startMs: startOf(period, startMs - 1), endMs: startMs }
}

/** The last complete period at `atMs` (a period ending exactly at atMs is complete), and the one before it. */
export function reportPeriods(period: ReportPeriod, atMs: number): { current: PeriodRange; previous: PeriodRange } {
  const current = before(period, startOf(period, atMs))
  return { current, previous: before(period, current.startMs) }
}

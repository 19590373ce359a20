import type { AlertPolicySpec, Slo, SloWindow } from '../model.ts'
import { formatDuration } from '../duration.ts'

/** An Slo before it knows where it came from. */
export type SloDraft = Omit<Slo, 'source'>

/** A problem found in a draft, with the path of the spec key to blame (format-specific). */
export interface DraftProblem {
  field: 'window' | 'budgeting'
  message: string
}

/** Rollups of a window are rebuilt from raw data on a change; a year is the longest window that makes sense. */
const MAX_ROLLING_SECONDS = 366 * 86400

/**
 * Checks that hold whatever the format: timeslices must tile days (so slices
 * line up with calendar periods) and a rolling window.
 */
export function draftProblems(draft: SloDraft): DraftProblem[] {
  const problems: DraftProblem[] = []
  if (draft.window.kind === 'rolling' && draft.window.seconds > MAX_ROLLING_SECONDS) {
    problems.push({ field: 'window', message: `expected a rolling window of at most 366d (got ${formatDuration(draft.window.seconds)}); use a calendar year for longer` })
  }
  const b = draft.budgeting
  if (b.method !== 'occurrences') {
    if (86400 % b.sliceSeconds !== 0) {
      problems.push({ field: 'budgeting', message: `expected a slice that divides a day evenly, such as 1m, 5m, 1h (got ${formatDuration(b.sliceSeconds)})` })
    } else if (draft.window.kind === 'rolling' && draft.window.seconds % b.sliceSeconds !== 0) {
      problems.push({ field: 'budgeting', message: `expected a slice that divides the ${formatDuration(draft.window.seconds)} window evenly (got ${formatDuration(b.sliceSeconds)})` })
    }
  }
  return problems
}

/** Longest length of an SLO window: a rolling window's own, a calendar period's longest (31-day month, 92-day quarter, 366-day year). */
export function longestWindowSeconds(window: SloWindow): number {
  if (window.kind === 'rolling') return window.seconds
  return { day: 1, week: 7, month: 31, quarter: 92, year: 366 }[window.period] * 86400
}

/**
 * An alert policy's windows must fit the SLO window: a long window longer than
 * the window would make the engine keep (and backfill) rollups for a span the
 * SLO never looks at, and a factor below the budget rate. Paths are relative to
 * the policy (page.quick.longWindow, …).
 */
export function policyWindowProblems(policy: AlertPolicySpec | undefined, window: SloWindow): { path: string[]; message: string }[] {
  if (!policy) return []
  const limit = longestWindowSeconds(window)
  const problems: { path: string[]; message: string }[] = []
  for (const severity of ['page', 'ticket'] as const) {
    for (const speed of ['quick', 'slow'] as const) {
      const w = policy[severity][speed]
      if (w.longWindowSeconds > limit) {
        problems.push({ path: [severity, speed, 'longWindow'], message: `expected a long window of at most the SLO window (${formatDuration(limit)})` })
      }
    }
  }
  return problems
}

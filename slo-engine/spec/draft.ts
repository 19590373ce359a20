import type { Slo } from '../model.ts'
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

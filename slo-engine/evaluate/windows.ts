import { BURN_RATE_WINDOWS, type Slo } from '../model.ts'
import { formatDuration, parseDuration } from '../duration.ts'
import { periodStartSeconds } from './calendar.ts'

/** A window an evaluation reports: its key (formatDuration or "window") and length ending at the evaluation minute. */
export interface EvaluationWindow {
  key: string
  seconds: number
}

/**
 * Length of the SLO's own window at `nowSeconds`: fixed when rolling; when
 * calendar, since the start of the period of the last minute evaluated
 * (now − 60), so the evaluation at a period's first instant still reports the
 * whole period that just ended, its last minute included.
 */
export function sloWindowSeconds(slo: Slo, nowSeconds: number): number {
  const w = slo.window
  return w.kind === 'rolling' ? w.seconds : nowSeconds - periodStartSeconds(nowSeconds - 60, w.period, w.timeZone)
}

/** The windows of one evaluation: BURN_RATE_WINDOWS, the extra ones alerting asked for, and "window". */
export function evaluationWindows(slo: Slo, nowSeconds: number, extraSeconds: readonly number[] = []): EvaluationWindow[] {
  const windows = new Map<string, number>()
  for (const key of BURN_RATE_WINDOWS) windows.set(key, parseDuration(key)!)
  for (const s of extraSeconds) if (s > 0 && s % 60 === 0) windows.set(formatDuration(s), s)
  return [...[...windows].map(([key, seconds]) => ({ key, seconds })), { key: 'window', seconds: sloWindowSeconds(slo, nowSeconds) }]
}

/** How far back rollups must reach for an evaluation at `nowSeconds`. */
export function horizonSeconds(slo: Slo, nowSeconds: number, extraSeconds: readonly number[] = []): number {
  return Math.max(...evaluationWindows(slo, nowSeconds, extraSeconds).map((w) => w.seconds))
}

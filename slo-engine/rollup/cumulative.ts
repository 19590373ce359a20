import { periodStartSeconds } from '../evaluate/calendar.ts'
import type { Budgeting, SloWindow } from '../model.ts'
import type { MinuteCounts } from '../sli/match.ts'

// Rollups are stored as running sums, one row per SLO per minute (dense, zero
// minutes included), so that the events of any window are the difference of
// two rows: events in minutes (a, b] = cum(b) − cum(a). An evaluation reads
// two rows per window whatever its length, which keeps a tick's cost flat from
// a 5-minute to a 90-day window. The sums start at the SLO's rollup epoch (a
// minute before which the SLO counts nothing).
//
// Slices (timeslices budgeting) are counted the same way: cum_slices is the
// number of completed slices that had events, cum_slices_good their score
// (1 or 0 for timeslices; the slice's own SLI for ratioTimeslices), both
// credited at the slice's last minute. Slices are aligned to multiples of the
// slice length since the Unix epoch (UTC midnight for slices dividing a day),
// except in calendar windows, where slices dividing a day start at the local
// midnight of the window's time zone: the 1d slices of a `calendar: day` in
// Asia/Kolkata are Kolkata's days (18:30 to 18:30 UTC), so a period holds
// whole slices (a 23- or 25-hour day ends its last slice at the next midnight).

export interface Cumulative {
  good: number
  total: number
  slices: number
  slicesGood: number
}

export const ZERO: Cumulative = { good: 0, total: 0, slices: 0, slicesGood: 0 }

export interface RollupRow {
  slo_id: string
  /** Unix seconds of the minute's start. */
  minute: number
  good: number
  total: number
  cum_good: number
  cum_total: number
  cum_slices: number
  cum_slices_good: number
  sli_hash: string
  computed_at: number
  /** The ingest watermark (Unix ms) the row was computed with: span and log SLIs; 0 for the others. */
  ingested_to: number
}

/** Builds the rows of one SLO minute by minute, carrying the sums and the open slice across calls. */
export class CumulativeBuilder {
  private cum: Cumulative
  private slice = { good: 0, total: 0 }

  private readonly sliceStart: (seconds: number) => number

  constructor(
    readonly sloId: string,
    private readonly budgeting: Budgeting,
    private readonly sliHash: string,
    base: Cumulative,
    window?: SloWindow,
  ) {
    this.cum = { ...base }
    this.sliceStart = sliceAligner(budgeting, window)
  }

  /** Rows for the minutes [fromSeconds, toSeconds), which must follow the previous call's; `ingestedToMs` is the watermark they reflect (0: none). */
  rows(fromSeconds: number, toSeconds: number, counts: Map<number, MinuteCounts> | undefined, computedAtMs: number, ingestedToMs = 0): RollupRow[] {
    const out: RollupRow[] = []
    for (let minute = fromSeconds; minute < toSeconds; minute += 60) {
      const c = counts?.get(minute)
      const good = c?.good ?? 0
      const total = c?.total ?? 0
      this.cum.good += good
      this.cum.total += total
      this.closeSlice(minute, good, total)
      out.push({
        slo_id: this.sloId,
        minute,
        good,
        total,
        cum_good: this.cum.good,
        cum_total: this.cum.total,
        cum_slices: this.cum.slices,
        cum_slices_good: this.cum.slicesGood,
        sli_hash: this.sliHash,
        computed_at: computedAtMs,
        ingested_to: ingestedToMs,
      })
    }
    return out
  }

  private closeSlice(minute: number, good: number, total: number): void {
    const b = this.budgeting
    if (b.method === 'occurrences') return
    this.slice.good += good
    this.slice.total += total
    if (this.sliceStart(minute + 60) !== minute + 60) return
    if (this.slice.total > 0) {
      const ratio = Math.min(1, Math.max(0, this.slice.good / this.slice.total))
      this.cum.slices += 1
      // A tiny tolerance so that 19 good of 20 meets a 95% target despite binary fractions.
      this.cum.slicesGood += b.method === 'timeslices' ? (ratio >= b.sliceTarget - 1e-12 ? 1 : 0) : ratio
    }
    this.slice = { good: 0, total: 0 }
  }
}

/** Start of the slice (or minute) that contains `seconds`. */
export function alignDown(seconds: number, stepSeconds: number): number {
  return Math.floor(seconds / stepSeconds) * stepSeconds
}

export function sliceSecondsOf(budgeting: Budgeting): number {
  return budgeting.method === 'occurrences' ? 60 : budgeting.sliceSeconds
}

const DAY = 86400

/** Whether slices follow the window's local days rather than UTC. */
export function zoneAlignedSlices(budgeting: Budgeting, window: SloWindow | undefined): window is SloWindow & { kind: 'calendar' } {
  const step = sliceSecondsOf(budgeting)
  return budgeting.method !== 'occurrences' && window?.kind === 'calendar' && DAY % step === 0 && step % 60 === 0
}

/** The start of the slice containing a time (Unix seconds), for this budgeting in this window. */
export function sliceAligner(budgeting: Budgeting, window?: SloWindow): (seconds: number) => number {
  const step = sliceSecondsOf(budgeting)
  if (!zoneAlignedSlices(budgeting, window)) return (seconds) => alignDown(seconds, step)
  // Local days, found with Intl once per day and kept while times stay inside it.
  let day = { start: 0, end: 0 }
  return (seconds) => {
    if (seconds < day.start || seconds >= day.end) {
      const start = periodStartSeconds(seconds, 'day', window.timeZone)
      day = { start, end: periodStartSeconds(start + 30 * 3600, 'day', window.timeZone) }
    }
    // A 1d slice is the local day, 23 or 25 hours on a DST change.
    return step === DAY ? day.start : day.start + alignDown(seconds - day.start, step)
  }
}

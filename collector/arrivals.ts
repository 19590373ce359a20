// When do the rows stop coming? Senders that wait for their acknowledgement
// before sending again (every OTLP exporter, Prometheus' remote_write shards)
// stop once all of them are waiting on a buffer, and waiting on for the rest
// of flushIntervalMs would only leave the engine idle. Senders that send on
// their own clock keep arriving at their usual spacing whatever the collector
// does. So a buffer is written early when no rows have come for a few times the
// usual spacing between arrivals: soon after a burst of answers-then-resends,
// never in the middle of a steady trickle (which then gets the full interval
// and so few, larger inserts).

/** Weight of the newest gap in the running mean: about the last five arrivals count. */
const WEIGHT = 0.2
/** No rows for this many mean gaps: the senders are waiting. */
const QUIET_GAPS = 3
/** Gaps shorter than this are one burst however regular they look. */
const MIN_QUIET_MS = 2

export class ArrivalGaps {
  private lastMs = -1
  private meanGapMs = 0
  private seen = 0

  /** Notes an arrival at `nowMs`. */
  arrived(nowMs: number): void {
    const gap = nowMs - this.lastMs
    if (this.lastMs < 0) this.meanGapMs = 0
    else if (this.seen++ === 0) this.meanGapMs = gap
    else this.meanGapMs += WEIGHT * (gap - this.meanGapMs)
    this.lastMs = nowMs
  }

  /** Milliseconds from `nowMs` until the arrivals count as stopped (≤ 0: they have). */
  untilQuietMs(nowMs: number): number {
    return this.lastMs + Math.max(MIN_QUIET_MS, QUIET_GAPS * this.meanGapMs) - nowMs
  }
}

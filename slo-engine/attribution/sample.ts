import { SAMPLE_BLOCK_ROWS, type OverviewRow } from './sql.ts'

// How much of a range the attribution reads (docs/attribution.md, "Large ranges").
//
// Reading a row's attributes costs far more than counting it: the plain count
// of an hour of 10 M spans takes tens of milliseconds, reading its
// ResourceAttributes map seconds. Above a size, the two reads of attributes
// (bad events; events per value) read a deterministic sample: every k-th
// block of 8192 rows of each part, k a power of two, the smallest whose
// blocks hold at most `maxRowsPerRead` rows. A block left out is never read
// (the sample condition is in PREWHERE and reads no column), which a sample
// of traces (cityHash64(TraceId) % k) cannot do: it reads the TraceId of
// every row and the maps of every block.
//
// The overview read counts, for each k of the ladder, the events, bad events
// and blocks the sample would hold, so the choice is made on exact figures,
// and k = 1 (no sample) whenever the whole range fits: small ranges, and bad
// events that sit in few blocks (a burst), are read whole.

/** k = 1, 2, 4 … 1024: up to about 8 billion rows read as 1 M. */
export const SAMPLE_LADDER = Array.from({ length: 11 }, (_, i) => 2 ** i)

export interface SampleRead {
  /** Share of the blocks read (1: all). */
  rate: number
  /** Events (or bad events) read. */
  read: number
  /** The read stopped at its time budget: what it read is a part of the sample. */
  partial: boolean
}

export interface Sampling {
  /** The read of the bad events' attributes: bad counts per value, discovery, examples. */
  badEvents: SampleRead
  /** The read of the events per value. */
  events: SampleRead
}

/** The smallest k whose sample reads at most `maxRows` rows, for the bad events and for all events. */
export function chooseStep(ladder: readonly OverviewRow[], maxRows: number): { bad: OverviewRow; events: OverviewRow } {
  const sorted = [...ladder].sort((a, b) => a.k - b.k)
  const pick = (blocks: (r: OverviewRow) => number) => sorted.find((r) => blocks(r) * SAMPLE_BLOCK_ROWS <= maxRows) ?? sorted[sorted.length - 1] ?? { k: 1, total: 0, bad: 0, blocks: 0, badBlocks: 0 }
  return { bad: pick((r) => r.badBlocks), events: pick((r) => r.blocks) }
}

import { BinaryWriter } from '../rows/binary.ts'
import { GroupedRows, type ItemColumns } from '../rows/grouped.ts'
import { Limiter, type AttributeLimits, type LimitCounts } from './limits.ts'

/** The rows of one table from one request, encoded for the insert. */
export interface TableOutput {
  readonly rows: number
  view(): Buffer
}

/** How to decode one request: the item times accepted, and the limits on attributes and bodies. */
export interface DecodeOptions {
  bounds?: TimeBounds
  limits?: AttributeLimits
}

/** What decoding one export request produced: rows per table, the items refused, and what the limits cut. */
export class Decoded {
  readonly tables = new Map<string, TableOutput>()
  accepted = 0
  rejected = 0
  private readonly messages: string[] = []
  private readonly daySet = new Set<number>()

  /** Cuts attributes and bodies to the limits, when there are limits. */
  readonly limiter: Limiter | undefined

  /** `bounds`: items dated outside them are refused (see TimeBounds). */
  constructor(
    private readonly bounds?: TimeBounds,
    limits?: AttributeLimits,
  ) {
    this.limiter = limits ? new Limiter(limits) : undefined
  }

  /**
   * True (and the item refused) when a time given as 64-bit halves is outside
   * the bounds. The time is the one the item's table is partitioned by (one
   * partition per UTC day): an accepted item's day is remembered in `days`.
   */
  rejectUntimelyNs(lo: number, hi: number, what: string): boolean {
    const b = this.bounds
    if (b && (hi < b.oldestHi || (hi === b.oldestHi && lo < b.oldestLo))) {
      this.reject(`${what} older than the ${b.retentionDays}-day retention`)
      return true
    }
    if (b && (hi > b.newestHi || (hi === b.newestHi && lo > b.newestLo))) {
      this.reject(`${what} dated more than ${b.futureSkewSeconds} s ahead of the collector's clock`)
      return true
    }
    this.daySet.add(utcDay(lo, hi))
    return false
  }

  /** The UTC days of the accepted items: the partitions their rows go to. */
  get days(): number[] {
    return [...this.daySet]
  }

  /** The grouped rows of `table` (one table per request), written through `items`. */
  grouped(table: string, items: ItemColumns, capacity: number): GroupedRows {
    const rows = new GroupedRows(new BinaryWriter(capacity), items)
    this.tables.set(table, rows)
    return rows
  }

  reject(message: string, count = 1): void {
    this.rejected += count
    if (this.messages.length < 5 && !this.messages.includes(message)) this.messages.push(message)
  }

  /** What the limits cut, by kind (none without limits). */
  get truncated(): LimitCounts | undefined {
    return this.limiter?.counts
  }

  /** The partial-success message: the first distinct reasons of refusals, then what the limits cut. */
  get errorMessage(): string {
    const warning = this.limiter?.warning()
    return warning ? [...this.messages, warning].join('; ') : this.messages.join('; ')
  }
}

/**
 * The item times a signal's table accepts, as of now, as 64-bit halves of
 * nanoseconds. Older than the retention: ClickHouse's TTL would drop the rows
 * once written, so a 200 would acknowledge nothing. Further ahead than the
 * allowed clock skew: a sender's broken clock, whose rows would sit outside
 * every query window and open a partition per day.
 */
export interface TimeBounds {
  /** 0: kept forever (no lower bound). */
  retentionDays: number
  oldestLo: number
  oldestHi: number
  /** 0: no upper bound. */
  futureSkewSeconds: number
  newestLo: number
  newestHi: number
}

/** The bounds for a retention of `retentionDays` and a skew of `futureSkewSeconds` (each 0 = unbounded), measured from now. */
export function timeBounds(retentionDays: number, futureSkewSeconds: number, nowMs = Date.now()): TimeBounds | undefined {
  if (retentionDays <= 0 && futureSkewSeconds <= 0) return undefined
  const [oldestLo, oldestHi] = retentionDays > 0 ? halves(BigInt(nowMs - retentionDays * 86_400_000) * 1_000_000n) : [0, -1]
  const [newestLo, newestHi] = futureSkewSeconds > 0 ? halves(BigInt(nowMs + futureSkewSeconds * 1000) * 1_000_000n) : [0, Infinity]
  return { retentionDays, oldestLo, oldestHi, futureSkewSeconds, newestLo, newestHi }
}

// 86 400 × 10⁹ ns = 2¹⁶ × 1 318 359 375: dividing by 2¹⁶ first keeps the
// arithmetic within a double's exact integers (hi < 2³¹), so the day is exact.
const NS_PER_DAY_ODD = 1_318_359_375

/** The UTC day number of a time in nanoseconds given as 64-bit halves. */
export function utcDay(lo: number, hi: number): number {
  return Math.floor((hi * 65_536 + Math.floor((lo >>> 0) / 65_536)) / NS_PER_DAY_ODD)
}

function halves(ns: bigint): [number, number] {
  return [Number(ns & 0xffffffffn), Number(ns >> 32n)]
}

/** Writes end − start in nanoseconds as UInt64 (0 when the end precedes the start), from 64-bit halves. */
export function writeDuration(w: BinaryWriter, startLo: number, startHi: number, endLo: number, endHi: number): void {
  if (endHi < startHi || (endHi === startHi && endLo <= startLo)) {
    w.u64(0, 0)
    return
  }
  const lo = endLo - startLo
  w.u64(lo >>> 0, (endHi - startHi - (lo < 0 ? 1 : 0)) >>> 0)
}

/** Writes a uint64 nanosecond time as DateTime64(9), clamped to its range (year 2262), for times inside arrays. */
export function writeNanosClamped(w: BinaryWriter, lo: number, hi: number): void {
  if (hi >= 0x80000000) w.u64(0xffffffff, 0x7fffffff)
  else w.u64(lo, hi)
}

import { BinaryWriter } from '../rows/binary.ts'
import { GroupedRows, type ItemColumns } from '../rows/grouped.ts'

/** The rows of one table from one request, encoded for the insert. */
export interface TableOutput {
  readonly rows: number
  view(): Buffer
}

/** What decoding one export request produced: rows per table, and the items refused. */
export class Decoded {
  readonly tables = new Map<string, TableOutput>()
  accepted = 0
  rejected = 0
  private readonly messages: string[] = []

  /** `retention`: items older than it are refused, since ClickHouse's TTL would drop them once written. */
  constructor(private readonly retention?: Retention) {}

  /** True (and the item refused) when a time given as 64-bit halves is older than the retention. */
  rejectExpiredNs(lo: number, hi: number, what: string): boolean {
    const r = this.retention
    if (!r || hi > r.oldestHi || (hi === r.oldestHi && lo >= r.oldestLo)) return false
    this.reject(`${what} older than the ${r.days}-day retention`)
    return true
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

  /** The partial-success message: the first distinct reasons, then how many more. */
  get errorMessage(): string {
    return this.messages.join('; ')
  }
}

/** The oldest timestamp a signal's table keeps, as of now, as 64-bit halves. */
export interface Retention {
  days: number
  oldestLo: number
  oldestHi: number
}

/** The retention for `days` (0 = forever: none), measured from now. */
export function retentionFrom(days: number, nowMs = Date.now()): Retention | undefined {
  if (days <= 0) return undefined
  const oldest = BigInt(nowMs - days * 86_400_000) * 1_000_000n
  return { days, oldestLo: Number(oldest & 0xffffffffn), oldestHi: Number(oldest >> 32n) }
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

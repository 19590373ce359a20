import { RowBuffer } from '../rows/tsv.ts'
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

  /**
   * Refuses an item whose timestamp (nanosText form) is older than the retention,
   * naming `what`; true when refused. Acknowledging it would store nothing.
   */
  rejectExpired(nanos: string, what: string, count = 1): boolean {
    if (!this.retention || nanos >= this.retention.oldestNanos) return false
    this.reject(`${what} older than the ${this.retention.days}-day retention`, count)
    return true
  }

  /** True (and the item refused) when a time given as 64-bit halves is older than the retention. */
  rejectExpiredNs(lo: number, hi: number, what: string): boolean {
    const r = this.retention
    if (!r || hi > r.oldestHi || (hi === r.oldestHi && lo >= r.oldestLo)) return false
    this.reject(`${what} older than the ${r.days}-day retention`)
    return true
  }

  rows(table: string): RowBuffer {
    let buf = this.tables.get(table) as RowBuffer | undefined
    if (!buf) this.tables.set(table, (buf = new RowBuffer()))
    return buf
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

/** The oldest timestamp a signal's table keeps, as of now: nanosText form, and as 64-bit halves. */
export interface Retention {
  days: number
  oldestNanos: string
  oldestLo: number
  oldestHi: number
}

/** The retention for `days` (0 = forever: none), measured from now. */
export function retentionFrom(days: number, nowMs = Date.now()): Retention | undefined {
  if (days <= 0) return undefined
  const oldest = BigInt(nowMs - days * 86_400_000) * 1_000_000n
  return { days, oldestNanos: oldest.toString().padStart(19, '0'), oldestLo: Number(oldest & 0xffffffffn), oldestHi: Number(oldest >> 32n) }
}

/** Duration in nanoseconds between two uint64 timestamps given as 32-bit halves; 0 when end precedes start. */
export function durationNs(startLo: number, startHi: number, endLo: number, endHi: number): string {
  const diff = (endHi - startHi) * 4294967296 + (endLo - startLo)
  if (diff <= 0) return '0'
  if (diff < Number.MAX_SAFE_INTEGER) return String(diff)
  return ((BigInt(endHi) << 32n | BigInt(endLo)) - (BigInt(startHi) << 32n | BigInt(startLo))).toString()
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

/** Duration from decimal strings (the JSON encoding). */
export function durationFromDecimal(start: string, end: string): string {
  const d = BigInt(end) - BigInt(start)
  return d > 0n ? d.toString() : '0'
}

const MAX_NANOS = '9223372036854775807'

/**
 * A uint64 nanosecond timestamp as DateTime64(9) text: 19 digits, zero-padded.
 * ClickHouse reads a plain number at the top level of a TSV row as seconds
 * followed by a fraction, so only the padded form means nanoseconds everywhere.
 * Undefined past DateTime64(9)'s range (year 2262).
 */
export function nanosText(decimal: string): string | undefined {
  if (decimal.length < 19) return decimal.padStart(19, '0')
  if (decimal.length > 19 || decimal > MAX_NANOS) return undefined
  return decimal
}

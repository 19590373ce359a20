import { RowBuffer } from '../rows/tsv.ts'

/** What decoding one export request produced: rows per table, and the items refused. */
export class Decoded {
  readonly tables = new Map<string, RowBuffer>()
  accepted = 0
  rejected = 0
  private readonly messages: string[] = []

  rows(table: string): RowBuffer {
    let buf = this.tables.get(table)
    if (!buf) this.tables.set(table, (buf = new RowBuffer()))
    return buf
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

/** Duration in nanoseconds between two uint64 timestamps given as 32-bit halves; 0 when end precedes start. */
export function durationNs(startLo: number, startHi: number, endLo: number, endHi: number): string {
  const diff = (endHi - startHi) * 4294967296 + (endLo - startLo)
  if (diff <= 0) return '0'
  if (diff < Number.MAX_SAFE_INTEGER) return String(diff)
  return ((BigInt(endHi) << 32n | BigInt(endLo)) - (BigInt(startHi) << 32n | BigInt(startLo))).toString()
}

/** Duration from decimal strings (the JSON encoding). */
export function durationFromDecimal(start: string, end: string): string {
  const d = BigInt(end) - BigInt(start)
  return d > 0n ? d.toString() : '0'
}

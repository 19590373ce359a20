// Limits on what one item may carry: attributes per set, attribute key and
// value length, log body length. Beyond them the item is still stored, cut to
// the limits (attributes past the count dropped, keys, values and bodies cut at
// a UTF-8 character boundary), every cut counted, and the sender told in the
// response's partial_success message (a warning: nothing is rejected). A
// sender that repeats megabytes of attributes on every span cannot fill the
// store and every query that reads these columns.
//
// Limits apply to the RowBinary values after decoding, the same way whatever
// the encoding (protobuf or JSON): a Map value is rewritten in place (it only
// shrinks), so the decoders keep copying protobuf bytes as they arrive.

import type { BinaryWriter } from '../rows/binary.ts'
import type { ItemColumns } from '../rows/grouped.ts'
import type { Resource, Scope } from './common.ts'

export interface AttributeLimits {
  /** Attributes kept per set (a resource's, a scope's, an item's); the rest are dropped. */
  maxAttributes: number
  /** Bytes of an attribute key (UTF-8); longer keys are cut. */
  maxAttributeKeyBytes: number
  /** Bytes of an attribute value as stored (UTF-8, after rendering non-strings); longer values are cut. */
  maxAttributeValueBytes: number
  /** Bytes of a log record's body as stored; longer bodies are cut. */
  maxLogBodyBytes: number
}

/** What was cut from one request. */
export interface LimitCounts {
  attributesDropped: number
  keysTruncated: number
  valuesTruncated: number
  bodiesTruncated: number
}

export type LimitKind = keyof LimitCounts

/** Applies the limits to one request's values and counts the cuts; one per request. */
export class Limiter {
  readonly counts: LimitCounts = { attributesDropped: 0, keysTruncated: 0, valuesTruncated: 0, bodiesTruncated: 0 }
  private readonly heads = new WeakSet<object>()

  constructor(readonly limits: AttributeLimits) {}

  /** Cuts the complete Map(String, String) value written in `w` from `start` to its end. */
  map(w: BinaryWriter, start: number): void {
    const [count, entriesAt] = readVarint(w.buf, start)
    const kept = this.entries(w.buf, entriesAt, w.pos, count)
    if (kept.count === count && kept.end === w.pos) return
    // The new count takes no more bytes than the old one: entries move left, never right.
    const countEnd = writeVarint(w.buf, start, kept.count)
    w.buf.copyWithin(countEnd, entriesAt, kept.end)
    w.pos = countEnd + (kept.end - entriesAt)
  }

  /** Cuts map entries (key, value pairs without their count) in `w` from `start`; returns how many are kept. */
  entriesOf(w: BinaryWriter, start: number, count: number): number {
    const kept = this.entries(w.buf, start, w.pos, count)
    w.pos = kept.end
    return kept.count
  }

  /** Cuts the String value written in `w` from `start` to its end to `maxBytes`; true when it was cut. */
  string(w: BinaryWriter, start: number, maxBytes: number): boolean {
    const [length, bytesAt] = readVarint(w.buf, start)
    if (length <= maxBytes) return false
    const cut = utf8Cut(w.buf, bytesAt, maxBytes)
    const at = writeVarint(w.buf, start, cut)
    w.buf.copyWithin(at, bytesAt, bytesAt + cut)
    w.pos = at + cut
    return true
  }

  /** Cuts a log record's body (a String value in `w` from `start`). */
  logBody(w: BinaryWriter, start: number): void {
    if (this.string(w, start, this.limits.maxLogBodyBytes)) this.counts.bodiesTruncated++
  }

  /** Cuts a resource's and a scope's attributes, once per object however many items share them. */
  resourceAndScope(resource: Resource, scope: Scope): void {
    for (const head of [resource, scope]) {
      if (this.heads.has(head)) continue
      this.heads.add(head)
      head.attributes = this.mapBuffer(head.attributes)
    }
  }

  /** The partial-success warning for what was cut, or '' when nothing was. */
  warning(): string {
    const c = this.counts
    const l = this.limits
    const parts = [
      c.attributesDropped > 0 && `${c.attributesDropped} attributes dropped past ${l.maxAttributes} per set`,
      c.keysTruncated > 0 && `${c.keysTruncated} attribute keys cut to ${l.maxAttributeKeyBytes} bytes`,
      c.valuesTruncated > 0 && `${c.valuesTruncated} attribute values cut to ${l.maxAttributeValueBytes} bytes`,
      c.bodiesTruncated > 0 && `${c.bodiesTruncated} log bodies cut to ${l.maxLogBodyBytes} bytes`,
    ].filter((p): p is string => typeof p === 'string')
    return parts.join('; ')
  }

  private mapBuffer(value: Buffer): Buffer {
    const [count, entriesAt] = readVarint(value, 0)
    const kept = this.entries(value, entriesAt, value.length, count)
    if (kept.count === count && kept.end === value.length) return value
    const copy = Buffer.from(value)
    const countEnd = writeVarint(copy, 0, kept.count)
    copy.copyWithin(countEnd, entriesAt, kept.end)
    return copy.subarray(0, countEnd + (kept.end - entriesAt))
  }

  /** Compacts `count` key, value pairs in buf[start, end) in place; returns the kept count and where they end. */
  private entries(buf: Buffer, start: number, end: number, count: number): { count: number; end: number } {
    const l = this.limits
    // The usual case: too few attributes and too few bytes for any limit to bite.
    if (count <= l.maxAttributes && end - start <= Math.min(l.maxAttributeKeyBytes, l.maxAttributeValueBytes)) return { count, end }
    let read = start
    let write = start
    let kept = 0
    for (let i = 0; i < count && read < end; i++) {
      const keep = i < l.maxAttributes
      for (const [max, kind] of [
        [l.maxAttributeKeyBytes, 'keysTruncated'],
        [l.maxAttributeValueBytes, 'valuesTruncated'],
      ] as const) {
        const at = read
        const [length, bytesAt] = readVarint(buf, at)
        read = bytesAt + length
        if (!keep) continue
        const cut = length <= max ? length : utf8Cut(buf, bytesAt, max)
        if (cut === length && write === at) {
          write = read // nothing cut or dropped before it: the bytes stay where they are
          continue
        }
        if (cut < length) this.counts[kind]++
        write = writeVarint(buf, write, cut)
        buf.copyWithin(write, bytesAt, bytesAt + cut)
        write += cut
      }
      if (keep) kept++
      else this.counts.attributesDropped++
    }
    return { count: kept, end: write }
  }
}

/** Cuts the current item's attribute Map in column `column`, when the item has one and there are limits. */
export function limitAttributes(out: { limiter: Limiter | undefined }, cols: ItemColumns, column: number): void {
  const w = cols.columns[column]!
  const start = cols.valueStart(column)
  if (out.limiter && w.pos > start) out.limiter.map(w, start)
}

/** The longest prefix of buf[start, start + maxBytes] that does not split a UTF-8 character. */
function utf8Cut(buf: Buffer, start: number, maxBytes: number): number {
  let cut = maxBytes
  while (cut > 0 && (buf[start + cut]! & 0xc0) === 0x80) cut--
  return cut
}

function readVarint(buf: Buffer, at: number): [value: number, next: number] {
  let value = 0
  let scale = 1
  let b: number
  do {
    b = buf[at++]!
    value += (b & 0x7f) * scale
    scale *= 128
  } while (b >= 0x80)
  return [value, at]
}

function writeVarint(buf: Buffer, at: number, value: number): number {
  while (value >= 0x80) {
    buf[at++] = (value % 0x80) | 0x80
    value = Math.floor(value / 0x80)
  }
  buf[at++] = value
  return at
}

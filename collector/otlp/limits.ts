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

/** What was cut from one request (keys: the `what` label of cairn_collector_truncated_total). */
export interface LimitCounts {
  attributes_dropped: number
  keys_truncated: number
  values_truncated: number
  bodies_truncated: number
}

export type LimitKind = keyof LimitCounts

/** Applies the limits to one request's values and counts the cuts; one per request. */
export class Limiter {
  readonly counts: LimitCounts = { attributes_dropped: 0, keys_truncated: 0, values_truncated: 0, bodies_truncated: 0 }
  private readonly heads = new WeakSet<object>()

  constructor(readonly limits: AttributeLimits) {}

  /** Cuts the complete Map(String, String) value written in `w` from `start` to its end. */
  map(w: BinaryWriter, start: number): void {
    const [count, entriesAt] = readVarint(w.buf, start)
    // The usual case: too few attributes and too few bytes for any limit to bite.
    const l = this.limits
    if (count <= l.maxAttributes && w.pos - entriesAt <= Math.min(l.maxAttributeKeyBytes, l.maxAttributeValueBytes)) return
    w.pos = this.compactMap(w.buf, start, start)[1]
  }

  /** Cuts each map of the complete Array(Map(String, String)) value written in `w` from `start` (span events' or links' attributes). */
  mapArray(w: BinaryWriter, start: number): void {
    const [n, mapsAt] = readVarint(w.buf, start)
    w.pos = this.compactMaps(w.buf, mapsAt, n)
  }

  /** Cuts `n` Map values written back to back in `w` from `start` (the items of an Array whose count is kept elsewhere). */
  maps(w: BinaryWriter, start: number, n: number): void {
    w.pos = this.compactMaps(w.buf, start, n)
  }

  /** Cuts `count` map entries (key, value pairs without their count) in `w` from `start`; returns how many are kept. */
  entriesOf(w: BinaryWriter, start: number, count: number): number {
    w.pos = this.compactEntries(w.buf, start, start, count)[1]
    return Math.min(count, this.limits.maxAttributes)
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
    if (this.string(w, start, this.limits.maxLogBodyBytes)) this.counts.bodies_truncated++
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
      c.attributes_dropped > 0 && `${c.attributes_dropped} attributes dropped past ${l.maxAttributes} per set`,
      c.keys_truncated > 0 && `${c.keys_truncated} attribute keys cut to ${l.maxAttributeKeyBytes} bytes`,
      c.values_truncated > 0 && `${c.values_truncated} attribute values cut to ${l.maxAttributeValueBytes} bytes`,
      c.bodies_truncated > 0 && `${c.bodies_truncated} log bodies cut to ${l.maxLogBodyBytes} bytes`,
    ].filter((p): p is string => typeof p === 'string')
    return parts.join('; ')
  }

  private mapBuffer(value: Buffer): Buffer {
    const copy = Buffer.from(value)
    const [, end] = this.compactMap(copy, 0, 0)
    return end === value.length ? value : copy.subarray(0, end)
  }

  private compactMaps(buf: Buffer, start: number, n: number): number {
    let read = start
    let write = start
    for (let i = 0; i < n; i++) [read, write] = this.compactMap(buf, read, write)
    return write
  }

  /**
   * Moves the Map value at buf[read…] to buf[write…] (write ≤ read), cut to the
   * limits; returns where the old value ended and where the new one ends. The
   * kept count is known before the entries (the first maxAttributes), and takes
   * no more bytes than the old count: nothing is ever moved right.
   */
  private compactMap(buf: Buffer, read: number, write: number): [number, number] {
    const [count, entriesAt] = readVarint(buf, read)
    const countEnd = writeVarint(buf, write, Math.min(count, this.limits.maxAttributes))
    return this.compactEntries(buf, entriesAt, countEnd, count)
  }

  /** Moves `count` key, value pairs from buf[read…] to buf[write…] (write ≤ read), cut to the limits; returns [old end, new end]. */
  private compactEntries(buf: Buffer, read: number, write: number, count: number): [number, number] {
    const l = this.limits
    for (let i = 0; i < count; i++) {
      const keep = i < l.maxAttributes
      for (const [max, kind] of [
        [l.maxAttributeKeyBytes, 'keys_truncated'],
        [l.maxAttributeValueBytes, 'values_truncated'],
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
      if (!keep) this.counts.attributes_dropped++
    }
    return [read, write]
  }
}

/**
 * Cuts the current item's attribute Map in column `column` (or, with `array`,
 * each Map of its Array of them), when the item has one and there are limits.
 */
export function limitAttributes(out: { limiter: Limiter | undefined }, cols: ItemColumns, column: number, array = false): void {
  const w = cols.columns[column]!
  const start = cols.valueStart(column)
  if (!out.limiter || w.pos === start) return
  if (array) out.limiter.mapArray(w, start)
  else out.limiter.map(w, start)
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

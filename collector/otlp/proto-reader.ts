// A minimal protobuf wire-format reader over one request body. The OTLP decoders
// walk the message with it field by field and write rows as they go, so no
// message objects are built. Wire types: 0 varint, 1 fixed64, 2 length-delimited,
// 5 fixed32 (groups, 3 and 4, are not used by OTLP and are rejected).

export class DecodeError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'DecodeError'
  }
}

export const WIRE_VARINT = 0
export const WIRE_FIXED64 = 1
export const WIRE_LEN = 2
export const WIRE_FIXED32 = 5

export class ProtoReader {
  pos = 0
  /** Low and high 32 bits of the last 64-bit value read by `varint64` or `fixed64`. */
  lo = 0
  hi = 0
  private readonly view: DataView

  constructor(readonly buf: Buffer) {
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength)
  }

  /** Reads a tag; returns it whole (field number << 3 | wire type). */
  tag(end: number): number {
    const tag = this.uint32('tag')
    if (this.pos > end) throw new DecodeError('truncated message')
    return tag
  }

  /**
   * A varint field of 32 bits or less (int32, uint32, enum): its low 32 bits,
   * as protobuf reads an int32 that was sent sign-extended to 64 bits.
   */
  varint32(): number {
    return this.varint32Bits(false, 'varint')
  }

  /** A varint that must fit 32 bits (tags, lengths): larger values are refused, never truncated. */
  uint32(what: string): number {
    return this.varint32Bits(true, what)
  }

  /**
   * Every varint is at most 10 bytes, and the 10th may carry only bit 63:
   * longer or larger encodings are refused (DecodeError, a 400), never read modulo 2^64.
   */
  private varint32Bits(exact: boolean, what: string): number {
    const buf = this.buf
    let result = 0
    let high = 0
    for (let i = 0; i < 10; i++) {
      if (this.pos >= buf.length) throw new DecodeError(`truncated ${what}`)
      const b = buf[this.pos++]!
      if (i < 4) result |= (b & 0x7f) << (7 * i)
      else if (i === 4) {
        result |= (b & 0x0f) << 28
        high |= b & 0x70
      } else high |= b & 0x7f
      if (b < 0x80) {
        if (i === 9 && b > 1) throw new DecodeError(`${what} overflows 64 bits`)
        if (exact && high !== 0) throw new DecodeError(`${what} does not fit 32 bits`)
        return result >>> 0
      }
    }
    throw new DecodeError(`${what} longer than 10 bytes`)
  }

  /** Reads a varint of up to 64 bits into `lo`/`hi` (at most 10 bytes, the 10th carrying only bit 63). */
  varint64(): void {
    const buf = this.buf
    let lo = 0
    let hi = 0
    for (let i = 0; i < 10; i++) {
      if (this.pos >= buf.length) throw new DecodeError('truncated varint')
      const b = buf[this.pos++]!
      const bits = b & 0x7f
      if (i < 4) lo |= bits << (7 * i)
      else if (i === 4) {
        lo |= (bits & 0x0f) << 28
        hi |= bits >>> 4
      } else hi |= bits << (7 * i - 32)
      if (b < 0x80) {
        if (i === 9 && b > 1) throw new DecodeError('varint overflows 64 bits')
        this.lo = lo >>> 0
        this.hi = hi >>> 0
        return
      }
    }
    throw new DecodeError('varint longer than 10 bytes')
  }

  fixed32(): number {
    if (this.pos + 4 > this.buf.length) throw new DecodeError('truncated fixed32')
    const v = this.view.getUint32(this.pos, true)
    this.pos += 4
    return v
  }

  fixed64(): void {
    if (this.pos + 8 > this.buf.length) throw new DecodeError('truncated fixed64')
    this.lo = this.view.getUint32(this.pos, true)
    this.hi = this.view.getUint32(this.pos + 4, true)
    this.pos += 8
  }

  double(): number {
    if (this.pos + 8 > this.buf.length) throw new DecodeError('truncated double')
    const v = this.view.getFloat64(this.pos, true)
    this.pos += 8
    return v
  }

  /** Where the varint starting at `at` ends (without moving). */
  varintEnd(at: number): number {
    while (at < this.buf.length && this.buf[at]! >= 0x80) at++
    return at + 1
  }

  /** Reads a length prefix and returns the end offset of the delimited bytes. */
  delimited(end: number): number {
    const len = this.uint32('length')
    const stop = this.pos + len
    if (stop > end) throw new DecodeError('length exceeds the enclosing message')
    return stop
  }

  string(end: number): string {
    const stop = this.delimited(end)
    const s = stop === this.pos ? '' : this.buf.toString('utf8', this.pos, stop)
    this.pos = stop
    return s
  }

  /** Skips the value of a field with the given wire type. */
  skip(wireType: number, end: number): void {
    switch (wireType) {
      case WIRE_VARINT:
        this.varint64()
        break
      case WIRE_FIXED64:
        this.pos += 8
        break
      case WIRE_LEN:
        this.pos = this.delimited(end)
        break
      case WIRE_FIXED32:
        this.pos += 4
        break
      default:
        throw new DecodeError(`unsupported wire type ${wireType}`)
    }
    if (this.pos > end) throw new DecodeError('truncated message')
  }

  /** Ensures a known field arrived with the wire type its schema gives. */
  expect(tag: number, wireType: number, what: string): void {
    if ((tag & 7) !== wireType) throw new DecodeError(`${what} has wire type ${tag & 7}, expected ${wireType}`)
  }
}

/** A 64-bit value given as two unsigned 32-bit halves, written in decimal. */
export function uint64ToDecimal(lo: number, hi: number): string {
  if (hi < 0x200000) return String(hi * 4294967296 + lo)
  // Split into 24-bit limbs a + b·2^24 + c·2^48 and carry in base 10^7:
  // 2^24 = 1·10^7 + 6777216 and 2^48 = 28147497·10^7 + 6710656 = (2·10^7 + 8147497)·10^7 + 6710656.
  const a = lo & 0xffffff
  const b = ((lo >>> 24) | (hi << 8)) & 0xffffff
  const c = hi >>> 16
  let d0 = a + b * 6777216 + c * 6710656
  let d1 = b + c * 8147497
  let d2 = c * 2
  const base = 10_000_000
  if (d0 >= base) {
    d1 += Math.floor(d0 / base)
    d0 %= base
  }
  if (d1 >= base) {
    d2 += Math.floor(d1 / base)
    d1 %= base
  }
  const pad = (n: number) => String(n).padStart(7, '0')
  return d2 > 0 ? `${d2}${pad(d1)}${pad(d0)}` : `${d1}${pad(d0)}`
}

/** A signed 64-bit value (two's complement halves) in decimal. */
export function int64ToDecimal(lo: number, hi: number): string {
  if (hi & 0x80000000) {
    // Negate: invert and add one.
    let nlo = (~lo + 1) >>> 0
    let nhi = ~hi >>> 0
    if (nlo === 0) nhi = (nhi + 1) >>> 0
    return `-${uint64ToDecimal(nlo, nhi)}`
  }
  return uint64ToDecimal(lo, hi)
}

/** The value of a signed 64-bit pair as a double. */
export function int64ToNumber(lo: number, hi: number): number {
  return (hi | 0) * 4294967296 + lo
}

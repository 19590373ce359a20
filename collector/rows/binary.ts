// Rows in ClickHouse's RowBinary format, the cheapest for the engine to read.
// Encodings: String = varint byte length + UTF-8 bytes (LowCardinality(String)
// the same); integers and floats little-endian; DateTime64(9) = Int64
// nanoseconds; Bool = UInt8; Array(T) = varint count + items; Map(K, V) =
// varint count + key, value pairs. The varint is LEB128, the same as
// protobuf's, so a protobuf string field's length and bytes are already a
// RowBinary String and are copied as they are.

const HEX_DIGITS = Uint8Array.from(Buffer.from('0123456789abcdef', 'latin1'))

/** Below this many bytes a JavaScript loop copies faster than a native call. */
const SHORT_COPY = 24

/** A growable byte buffer that RowBinary values are appended to. */
export class BinaryWriter {
  buf: Buffer
  pos = 0

  constructor(capacity = 64 * 1024) {
    this.buf = Buffer.allocUnsafe(Math.max(capacity, 64))
  }

  /** The bytes written so far (a view, not a copy). */
  view(): Buffer {
    return this.buf.subarray(0, this.pos)
  }

  reset(): void {
    this.pos = 0
  }

  /** Makes room for `n` more bytes. */
  ensure(n: number): void {
    if (this.pos + n > this.buf.length) this.grow(n)
  }

  private grow(n: number): void {
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + n))
    this.buf.copy(next, 0, 0, this.pos)
    this.buf = next
  }

  u8(v: number): void {
    this.ensure(1)
    this.buf[this.pos++] = v
  }

  bool(v: boolean): void {
    this.u8(v ? 1 : 0)
  }

  u32(v: number): void {
    this.ensure(4)
    this.buf.writeUInt32LE(v >>> 0, this.pos)
    this.pos += 4
  }

  i32(v: number): void {
    this.ensure(4)
    this.buf.writeInt32LE(v | 0, this.pos)
    this.pos += 4
  }

  /** A 64-bit integer given as its low and high 32 bits (UInt64, Int64 and DateTime64 alike). */
  u64(lo: number, hi: number): void {
    this.ensure(8)
    const b = this.buf
    let p = this.pos
    b[p++] = lo
    b[p++] = lo >>> 8
    b[p++] = lo >>> 16
    b[p++] = lo >>> 24
    b[p++] = hi
    b[p++] = hi >>> 8
    b[p++] = hi >>> 16
    b[p++] = hi >>> 24
    this.pos = p
  }

  /** A non-negative integer below 2^53 as UInt64 (or a non-negative Int64). */
  u64Number(n: number): void {
    this.u64(n >>> 0, Math.floor(n / 4294967296) >>> 0)
  }

  f64(v: number): void {
    this.ensure(8)
    this.buf.writeDoubleLE(v, this.pos)
    this.pos += 8
  }

  /** An unsigned LEB128 varint (lengths and counts; exact below 2^53). */
  varint(v: number): void {
    this.ensure(10)
    const b = this.buf
    let p = this.pos
    while (v >= 0x80) {
      b[p++] = (v & 0x7f) | 0x80
      v = v < 0x80000000 ? v >>> 7 : Math.floor(v / 128)
    }
    b[p++] = v
    this.pos = p
  }

  /** A JavaScript string as a String (UTF-8). */
  string(s: string): void {
    const n = s.length
    // Reserve the length prefix for the longest the UTF-8 can be (3 bytes per UTF-16 unit).
    const reserved = varintSize(n * 3)
    this.ensure(reserved + n * 3)
    const b = this.buf
    const start = this.pos + reserved
    let written = 0
    if (n <= SHORT_COPY) {
      // Short ASCII strings (numbers, enum names, most keys) without a native call.
      let p = start
      for (let i = 0; i < n; i++) {
        const c = s.charCodeAt(i)
        if (c >= 0x80) {
          p = -1
          break
        }
        b[p++] = c
      }
      written = p < 0 ? b.write(s, start, 'utf8') : n
    } else written = b.write(s, start, 'utf8')
    this.finishLength(reserved, written)
  }

  /** Writes the length of the `written` bytes that follow `reserved` bytes at pos, closing any gap. */
  private finishLength(reserved: number, written: number): void {
    const size = varintSize(written)
    const at = this.pos
    if (size !== reserved) this.buf.copyWithin(at + size, at + reserved, at + reserved + written)
    this.varint(written)
    this.pos = at + size + written
  }

  /** Bytes src[start, end) as a String. */
  bytes(src: Uint8Array, start: number, end: number): void {
    this.varint(end - start)
    this.raw(src, start, end)
  }

  /** Bytes src[start, end) as they are (already encoded values). */
  raw(src: Uint8Array, start: number, end: number): void {
    const n = end - start
    this.ensure(n)
    const b = this.buf
    if (n <= SHORT_COPY) {
      let p = this.pos
      for (let i = start; i < end; i++) b[p++] = src[i]!
      this.pos = p
    } else {
      b.set(src.subarray(start, end), this.pos)
      this.pos += n
    }
  }

  /** Bytes src[start, end) as a String of their lowercase hex. */
  hex(src: Uint8Array, start: number, end: number): void {
    const n = (end - start) * 2
    this.varint(n)
    this.ensure(n)
    const b = this.buf
    let p = this.pos
    for (let i = start; i < end; i++) {
      const x = src[i]!
      b[p++] = HEX_DIGITS[x >>> 4]!
      b[p++] = HEX_DIGITS[x & 15]!
    }
    this.pos = p
  }

  /**
   * Reserves the count prefix of an Array or Map whose items follow; returns
   * where it is, for `endCount`. One byte is reserved: counts up to 127 need no move.
   */
  beginCount(): number {
    this.ensure(1)
    return this.pos++
  }

  /** Writes the count reserved at `at` by beginCount, moving the items if it needs more than a byte. */
  endCount(at: number, count: number): void {
    if (count < 0x80) {
      this.buf[at] = count
      return
    }
    const size = varintSize(count)
    this.ensure(size - 1)
    this.buf.copyWithin(at + size, at + 1, this.pos)
    const end = this.pos + size - 1
    this.pos = at
    this.varint(count)
    this.pos = end
  }
}

export function varintSize(v: number): number {
  let size = 1
  while (v >= 0x80) {
    v = Math.floor(v / 128)
    size++
  }
  return size
}

/** The RowBinary encoding of one String value, for values written again and again. */
export function stringBytes(s: string): Buffer {
  const w = new BinaryWriter(s.length * 3 + 10)
  w.string(s)
  return Buffer.from(w.view())
}

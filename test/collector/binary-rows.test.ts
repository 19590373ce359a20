// The RowBinary writer: its bytes for the edge cases, and the values ClickHouse
// reads back from them (empty and multi-byte strings, long strings and large
// counts whose varints take several bytes, non-finite floats, times at both
// ends of DateTime64(9), arrays of arrays of maps).
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { configSchema } from '../../config/index.ts'
import { openStorage, rowBinary, type Storage } from '../../storage/index.ts'
import { BinaryWriter, stringBytes, varintSize } from '../../collector/rows/binary.ts'
import { writeDuration, writeNanosClamped } from '../../collector/otlp/decoded.ts'
import { tempDir } from '../support/temp.ts'

const bytesOf = (write: (w: BinaryWriter) => void, capacity?: number) => {
  const w = new BinaryWriter(capacity)
  write(w)
  return [...w.view()]
}

describe('BinaryWriter bytes', () => {
  it('writes LEB128 varints of every length up to 2^53', () => {
    expect(bytesOf((w) => w.varint(0))).toEqual([0])
    expect(bytesOf((w) => w.varint(127))).toEqual([0x7f])
    expect(bytesOf((w) => w.varint(128))).toEqual([0x80, 0x01])
    expect(bytesOf((w) => w.varint(300))).toEqual([0xac, 0x02])
    expect(bytesOf((w) => w.varint(2 ** 32))).toEqual([0x80, 0x80, 0x80, 0x80, 0x10])
    expect(bytesOf((w) => w.varint(Number.MAX_SAFE_INTEGER))).toEqual([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x0f])
    for (const n of [0, 127, 128, 16383, 16384, 2 ** 21, 2 ** 35, Number.MAX_SAFE_INTEGER]) expect(varintSize(n)).toBe(bytesOf((w) => w.varint(n)).length)
  })

  it('writes strings as their UTF-8 length and bytes, the length exact whatever the reserve', () => {
    expect(bytesOf((w) => w.string(''))).toEqual([0])
    expect(bytesOf((w) => w.string('é'))).toEqual([2, 0xc3, 0xa9])
    expect(bytesOf((w) => w.string('日本'))).toEqual([6, ...Buffer.from('日本')])
    expect(bytesOf((w) => w.string('😀'))).toEqual([4, ...Buffer.from('😀')])
    // 50 ASCII characters: 3 × 50 could need a two-byte length, the bytes need one.
    const ascii = 'a'.repeat(50)
    expect(bytesOf((w) => w.string(ascii))).toEqual([50, ...Buffer.from(ascii)])
    const long = 'ü'.repeat(100)
    expect(bytesOf((w) => w.string(long))).toEqual([0xc8, 0x01, ...Buffer.from(long)])
    // Growing from a tiny buffer.
    expect(bytesOf((w) => w.string('x'.repeat(70_000)), 8)).toEqual([0xf0, 0xa2, 0x04, ...Buffer.from('x'.repeat(70_000))])
    expect([...stringBytes('Server')]).toEqual([6, ...Buffer.from('Server')])
  })

  it('writes hex ids, raw bytes and fixed-width numbers little-endian', () => {
    expect(bytesOf((w) => w.hex(Buffer.from([0x00, 0xab, 0xff]), 0, 3))).toEqual([6, ...Buffer.from('00abff')])
    expect(bytesOf((w) => w.bytes(Buffer.from([1, 2, 3, 4]), 1, 3))).toEqual([2, 2, 3])
    expect(bytesOf((w) => w.u64(0x89abcdef, 0x01234567))).toEqual([0xef, 0xcd, 0xab, 0x89, 0x67, 0x45, 0x23, 0x01])
    expect(bytesOf((w) => w.u64Number(2 ** 40 + 5))).toEqual([5, 0, 0, 0, 0, 1, 0, 0])
    expect(bytesOf((w) => w.i32(-2))).toEqual([0xfe, 0xff, 0xff, 0xff])
    expect(bytesOf((w) => w.u32(0xffffffff))).toEqual([0xff, 0xff, 0xff, 0xff])
    expect(bytesOf((w) => w.f64(-0))).toEqual([0, 0, 0, 0, 0, 0, 0, 0x80])
    expect(bytesOf((w) => w.bool(true))).toEqual([1])
  })

  it('moves the items when a count reserved in one byte needs more', () => {
    const items = bytesOf((w) => {
      const at = w.beginCount()
      for (let i = 0; i < 200; i++) w.u8(i)
      w.endCount(at, 200)
    })
    expect(items).toEqual([0xc8, 0x01, ...Array.from({ length: 200 }, (_, i) => i)])
    expect(bytesOf((w) => w.endCount(w.beginCount(), 5))).toEqual([5])
  })

  it('writes durations and clamped times from 64-bit halves', () => {
    const u64 = (write: (w: BinaryWriter) => void) => Buffer.from(bytesOf(write)).readBigUInt64LE()
    expect(u64((w) => writeDuration(w, 0xffffffff, 0, 0, 1))).toBe(1n)
    expect(u64((w) => writeDuration(w, 5, 1, 4, 1))).toBe(0n)
    expect(u64((w) => writeDuration(w, 0, 0, 0xffffffff, 0x7fffffff))).toBe(9223372036854775807n)
    expect(u64((w) => writeNanosClamped(w, 0, 0x80000000))).toBe(9223372036854775807n)
    expect(u64((w) => writeNanosClamped(w, 1, 0))).toBe(1n)
  })
})

describe('RowBinary read back by ClickHouse', () => {
  const dir = tempDir()
  let storage: Storage
  beforeAll(async () => {
    storage = await openStorage(configSchema.parse({ storage: { dataDir: dir.path } }).storage)
    await storage.command(
      `CREATE TABLE edge (id UInt8, s String, lc LowCardinality(String), f Float64, t DateTime64(9), n UInt64,
         nested Array(Array(Map(LowCardinality(String), String)))) ENGINE = MergeTree ORDER BY id`,
    )
  })
  afterAll(async () => {
    await storage.close()
    dir.remove()
  })

  it('stores every edge case as written', async () => {
    const format = rowBinary(['id UInt8', 's String', 'lc LowCardinality(String)', 'f Float64', 't DateTime64(9)', 'n UInt64', 'nested Array(Array(Map(String, String)))'])
    const w = new BinaryWriter(16)
    const row = (id: number, s: string, f: number, lo: number, hi: number, nested: Record<string, string>[][]) => {
      w.u8(id)
      w.string(s)
      w.string(s.slice(0, 3))
      w.f64(f)
      writeNanosClamped(w, lo, hi)
      w.u64(0xffffffff, 0xffffffff)
      w.varint(nested.length)
      for (const maps of nested) {
        const at = w.beginCount()
        for (const map of maps) {
          const entries = Object.entries(map)
          w.varint(entries.length)
          for (const [k, v] of entries) {
            w.string(k)
            w.string(v)
          }
        }
        w.endCount(at, maps.length)
      }
    }
    const many = Array.from({ length: 130 }, (_, i) => ({ [`k${i}`]: 'v'.repeat(i) }))
    row(1, '', NaN, 0, 0, [])
    row(2, 'é日本😀', Infinity, 1, 0, [[], [{ a: '1', 'ключ': 'значение' }, {}]])
    row(3, 'x'.repeat(20_000), -Infinity, 0xffffffff, 0x7fffffff, [many])
    row(4, "tab\tnew\nline\\quote'", -0, 0, 0x80000000, [[{ '': '' }]])
    await storage.insertRaw('edge', format, w.view())
    const rows = await storage.query<Record<string, unknown>>(
      `SELECT id, length(edge.s) AS sLength, if(id = 3, '', edge.s) AS text, lc, toString(f) AS float, toString(toUnixTimestamp64Nano(t)) AS time, toString(n) AS max,
         length(edge.nested) AS outer, arrayMap(x -> length(x), edge.nested) AS inner, if(id = 3, [], edge.nested) AS maps,
         edge.nested[1][130]['k129'] = repeat('v', 129) AS last
       FROM edge ORDER BY id`,
    )
    const end = '9223372036854775807'
    const max = '18446744073709551615'
    expect(rows).toEqual([
      { id: 1, sLength: '0', text: '', lc: '', float: 'nan', time: '0', max, outer: '0', inner: [], maps: [], last: 0 },
      { id: 2, sLength: String(Buffer.byteLength('é日本😀')), text: 'é日本😀', lc: 'é日本', float: 'inf', time: '1', max, outer: '2', inner: ['0', '2'], maps: [[], [{ a: '1', 'ключ': 'значение' }, {}]], last: 0 },
      { id: 3, sLength: '20000', text: '', lc: 'xxx', float: '-inf', time: end, max, outer: '1', inner: ['130'], maps: [], last: 1 },
      { id: 4, sLength: '19', text: "tab\tnew\nline\\quote'", lc: 'tab', float: '-0', time: end, max, outer: '1', inner: ['1'], maps: [[{ '': '' }]], last: 0 },
    ])
  })
})

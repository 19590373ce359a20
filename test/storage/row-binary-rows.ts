// One RowBinary payload, built by hand byte by byte, and the rows it must
// become: shared by the embedded and the server-mode tests of raw inserts.
import { expect } from 'vitest'

export const ROW_BINARY_TABLE_DDL = `CREATE TABLE IF NOT EXISTS rb (
  Name String,
  Kind LowCardinality(String),
  Attributes Map(LowCardinality(String), String),
  Time DateTime64(9),
  Count UInt64,
  Value Float64,
  Flag Bool,
  Events Nested (Name String, Time DateTime64(9)),
  Comment String DEFAULT 'none'
) ENGINE = MergeTree ORDER BY Name`

/** Not the table's order, Comment left out (it gets its DEFAULT), a Nested column by its subcolumns. */
export const ROW_BINARY_COLUMNS = [
  'Value Float64',
  'Name String',
  '`Events.Name` Array(String)',
  '`Events.Time` Array(DateTime64(9))',
  'Attributes Map(String, String)',
  'Time DateTime64(9)',
  'Count UInt64',
  'Flag Bool',
  'Kind String',
]

const varint = (n: number) => {
  const out: number[] = []
  while (n >= 0x80) {
    out.push((n & 0x7f) | 0x80)
    n = Math.floor(n / 128)
  }
  out.push(n)
  return Buffer.from(out)
}
const bytes = (b: Buffer) => Buffer.concat([varint(b.length), b])
const str = (s: string) => bytes(Buffer.from(s, 'utf8'))
const u64 = (n: bigint) => {
  const b = Buffer.alloc(8)
  b.writeBigUInt64LE(n)
  return b
}
const f64 = (d: number) => {
  const b = Buffer.alloc(8)
  b.writeDoubleLE(d)
  return b
}

export function rowBinaryPayload(): Buffer {
  return Buffer.concat([
    // Row 1: a name with a NUL and a byte that is not UTF-8, multi-byte UTF-8 in a map, the largest UInt64.
    f64(-0.5),
    bytes(Buffer.from([0x61, 0x00, 0xff])),
    Buffer.concat([varint(2), str('x'), str('é')]),
    Buffer.concat([varint(2), u64(1n), u64(9223372036854775807n)]),
    Buffer.concat([varint(2), str('k'), str('v'), str('日本'), str('語')]),
    u64(1714557600123456789n),
    u64(18446744073709551615n),
    Buffer.from([1]),
    str('Server'),
    // Row 2: empty everything, NaN.
    f64(NaN),
    str(''),
    varint(0),
    varint(0),
    varint(0),
    u64(0n),
    u64(0n),
    Buffer.from([0]),
    str(''),
  ])
}

type Query = (sql: string) => Promise<unknown[]>

export async function expectStoredRows(query: Query): Promise<void> {
  const rows = await query(
    `SELECT hex(Name) AS name, Kind, Attributes, toString(toUnixTimestamp64Nano(Time)) AS time, toString(Count) AS count, toString(Value) AS value, Flag,
       Events.Name AS eventNames, arrayMap(t -> toString(toUnixTimestamp64Nano(t)), Events.Time) AS eventTimes, Comment
     FROM rb ORDER BY Name`,
  )
  expect(rows).toEqual([
    { name: '', Kind: '', Attributes: {}, time: '0', count: '0', value: 'nan', Flag: false, eventNames: [], eventTimes: [], Comment: 'none' },
    {
      name: '6100FF',
      Kind: 'Server',
      Attributes: { k: 'v', 日本: '語' },
      time: '1714557600123456789',
      count: '18446744073709551615',
      value: '-0.5',
      Flag: true,
      eventNames: ['x', 'é'],
      eventTimes: ['1', '9223372036854775807'],
      Comment: 'none',
    },
  ])
}

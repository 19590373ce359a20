import { describe, expect, it } from 'vitest'
import { insertColumns, parseColumn, plainType, type TableDef } from '../../storage/index.ts'

// Reading column declarations back from table definitions: what the collector
// derives its RowBinary columns and ingest tables from.

const table = (columns: string[]): TableDef => ({ name: 't', columns, engine: 'MergeTree', orderBy: 'tuple()' })

describe('column declarations', () => {
  it('split into name, type (parentheses and all) and what follows', () => {
    expect(parseColumn('Attributes Map(LowCardinality(String), String) CODEC(ZSTD(1))')).toEqual({ name: 'Attributes', type: 'Map(LowCardinality(String), String)', rest: 'CODEC(ZSTD(1))' })
    expect(parseColumn('Links Nested (TraceId String, Attributes Map(String, String)) CODEC(ZSTD(1))').type).toBe('Nested (TraceId String, Attributes Map(String, String))')
    expect(parseColumn('T DateTime DEFAULT toDateTime(Timestamp)')).toEqual({ name: 'T', type: 'DateTime', rest: 'DEFAULT toDateTime(Timestamp)' })
    expect(() => parseColumn('Lonely')).toThrow('column declaration without a type: Lonely')
  })

  it('give the columns an insert writes: no computed ones, codecs dropped, Nested as Array subcolumns, Boolean as Bool', () => {
    expect(
      insertColumns(
        table([
          'Timestamp DateTime64(9) CODEC(Delta(8), ZSTD(1))',
          'TimestampTime DateTime DEFAULT toDateTime(Timestamp)',
          "Items Array(String) ALIAS arrayMap(kv -> concat(kv.1, '=', kv.2), CAST(A, 'Array(Tuple(String, String))'))",
          'M UInt8 MATERIALIZED 1',
          'IsMonotonic Boolean CODEC(Delta, ZSTD(1))',
          'Events Nested (Timestamp DateTime64(9), Attributes Map(LowCardinality(String), String)) CODEC(ZSTD(1))',
        ]),
      ),
    ).toEqual(['Timestamp DateTime64(9)', 'IsMonotonic Bool', 'Events.Timestamp Array(DateTime64(9))', 'Events.Attributes Array(Map(LowCardinality(String), String))'])
  })

  it('drop LowCardinality, which changes storage but not values, at any depth', () => {
    expect(plainType('Array(Map(LowCardinality(String), String))')).toBe('Array(Map(String, String))')
    expect(plainType('LowCardinality(Nullable(String))')).toBe('Nullable(String)')
    expect(plainType('UInt64')).toBe('UInt64')
  })
})

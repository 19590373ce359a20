import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { configSchema } from '../../config/index.ts'
import { INGESTED_AT, migrate, openStorage, otelMigrations, otelTables, type Storage } from '../../storage/index.ts'
import { allMigrations } from '../../cli/index.ts'
import { EXPORTER_COLUMNS } from '../fixtures/otel-exporter-columns.ts'
import { tempDir } from '../support/temp.ts'

const dir = tempDir()
const config = configSchema.parse({ storage: { dataDir: dir.path } })
let storage: Storage

beforeAll(async () => {
  storage = await openStorage(config.storage)
})
afterAll(async () => {
  await storage.close()
  dir.remove()
})

describe('migrations on the embedded engine', () => {
  it('apply once, and a second run is a no-op', async () => {
    const first = await migrate(storage, allMigrations(config), otelTables(config.storage.ttlDays))
    expect(first.applied).toEqual(allMigrations(config).map((m) => m.id))
    const tablesBefore = await storage.query('SELECT name, metadata_modification_time FROM system.tables WHERE database = currentDatabase() ORDER BY name')
    const second = await migrate(storage, allMigrations(config), otelTables(config.storage.ttlDays))
    expect(second).toEqual({ applied: [], ttlChanged: [] })
    const tablesAfter = await storage.query('SELECT name, metadata_modification_time FROM system.tables WHERE database = currentDatabase() ORDER BY name')
    expect(tablesAfter).toEqual(tablesBefore)
    const recorded = await storage.query<{ n: string }>('SELECT count() AS n FROM cairn_schema_migrations')
    expect(Number(recorded[0]!.n)).toBe(allMigrations(config).length)
  })

  it.each(Object.keys(EXPORTER_COLUMNS))('%s has the exporter column names and types', async (table) => {
    const rows = await storage.query<{ name: string; type: string }>(
      'SELECT name, type FROM system.columns WHERE database = currentDatabase() AND table = {t:String} ORDER BY position',
      { t: table },
    )
    // Beside the exporter's columns, span and log tables carry cairn's ingest time (the SLO engine's watermark).
    expect(rows.filter((r) => r.name !== INGESTED_AT.column).map((r) => [r.name, r.type])).toEqual(EXPORTER_COLUMNS[table])
  })

  it('adds only a MATERIALIZED ingest time to spans and logs, which SELECT * does not return and inserts fill with the server clock', async () => {
    const extra = await storage.query<{ table: string; type: string; default_kind: string }>(
      'SELECT table, type, default_kind FROM system.columns WHERE database = currentDatabase() AND name = {c:String} ORDER BY table',
      { c: INGESTED_AT.column },
    )
    expect(extra).toEqual([
      { table: 'otel_logs', type: 'DateTime64(3)', default_kind: 'MATERIALIZED' },
      { table: 'otel_traces', type: 'DateTime64(3)', default_kind: 'MATERIALIZED' },
    ])
    const before = Date.now()
    await storage.insertRows('otel_logs', [{ Timestamp: new Date().toISOString(), ServiceName: 'ingest-time', Body: 'x' }])
    const [row] = await storage.query<Record<string, unknown>>("SELECT * FROM otel_logs WHERE ServiceName = 'ingest-time'")
    expect(Object.keys(row!)).not.toContain(INGESTED_AT.column)
    const [stored] = await storage.query<{ ms: string }>(`SELECT toUnixTimestamp64Milli(${INGESTED_AT.column}) AS ms FROM otel_logs WHERE ServiceName = 'ingest-time'`)
    expect(Number(stored!.ms)).toBeGreaterThanOrEqual(before - 1000)
    expect(Number(stored!.ms)).toBeLessThanOrEqual(Date.now() + 1000)
  })

  it('keeps the exporter codecs, indexes, partitioning and sort keys', async () => {
    const [traces] = await storage.query<Record<string, string>>(
      "SELECT partition_key, sorting_key, primary_key FROM system.tables WHERE database = currentDatabase() AND name = 'otel_traces'",
    )
    expect(traces).toEqual({
      partition_key: 'toDate(Timestamp)',
      sorting_key: 'ServiceName, SpanName, toDateTime(Timestamp), Timestamp',
      primary_key: 'ServiceName, SpanName, toDateTime(Timestamp)',
    })
    const codecs = await storage.query<{ name: string; compression_codec: string }>(
      "SELECT name, compression_codec FROM system.columns WHERE database = currentDatabase() AND table = 'otel_traces' AND name IN ('Timestamp', 'Duration')",
    )
    expect(Object.fromEntries(codecs.map((c) => [c.name, c.compression_codec]))).toEqual({
      Timestamp: 'CODEC(Delta(8), ZSTD(1))',
      Duration: 'CODEC(T64, ZSTD(1))',
    })
    const indexes = await storage.query<{ table: string; name: string; type_full: string }>(
      "SELECT table, name, type_full FROM system.data_skipping_indices WHERE database = currentDatabase() AND table IN ('otel_traces', 'otel_logs') ORDER BY table, name",
    )
    expect(indexes).toContainEqual({ table: 'otel_traces', name: 'idx_trace_id', type_full: 'bloom_filter(0.001)' })
    expect(indexes).toContainEqual({ table: 'otel_logs', name: 'idx_body', type_full: 'tokenbf_v1(32768, 3, 0)' })
    // The exporter's 8, and the minmax index of cairn's ingest time.
    expect(indexes.filter((i) => i.table === 'otel_logs')).toHaveLength(9)
    expect(indexes).toContainEqual({ table: 'otel_logs', name: INGESTED_AT.index, type_full: 'minmax' })
  })

  it('fills the trace id lookup table through its materialized view', async () => {
    // Recent timestamps: rows already past the 30-day TTL would be dropped on insert.
    const start = Math.floor(Date.now() / 1000) - 3600
    const at = (s: number) => `${s}000000000`
    await storage.insertRows('otel_traces', [
      { Timestamp: at(start), TraceId: 'aa', SpanId: '01', ServiceName: 's', SpanName: 'a', Duration: 5 },
      { Timestamp: at(start + 8), TraceId: 'aa', SpanId: '02', ServiceName: 's', SpanName: 'b', Duration: 5 },
    ])
    const rows = await storage.query('SELECT TraceId, toUnixTimestamp(min(Start)) AS s, toUnixTimestamp(max(End)) AS e FROM otel_traces_trace_id_ts GROUP BY TraceId')
    expect(rows).toEqual([{ TraceId: 'aa', s: start, e: start + 8 }])
  })

  it('changes the TTL of a signal when its setting changes, and only then', async () => {
    const ttlDays = { traces: 7, logs: 0, metrics: 90 }
    const result = await migrate(storage, otelMigrations(ttlDays), otelTables(ttlDays))
    expect(result.ttlChanged.sort()).toEqual(['otel_logs', 'otel_traces', 'otel_traces_trace_id_ts'])
    const rows = await storage.query<{ name: string; engine_full: string }>(
      "SELECT name, engine_full FROM system.tables WHERE database = currentDatabase() AND name IN ('otel_traces', 'otel_logs', 'otel_metrics_sum')",
    )
    const ttl = Object.fromEntries(rows.map((r) => [r.name, /TTL (.*?) SETTINGS/.exec(r.engine_full)?.[1]]))
    expect(ttl).toEqual({
      otel_traces: 'toDateTime(Timestamp) + toIntervalDay(7)',
      otel_logs: undefined,
      otel_metrics_sum: 'toDateTime(TimeUnix) + toIntervalDay(90)',
    })
    expect((await migrate(storage, otelMigrations(ttlDays), otelTables(ttlDays))).ttlChanged).toEqual([])
  })
})

import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { configSchema } from '../../config/index.ts'
import { createTableStatements, INGESTED_AT, migrate, openStorage, otelMigrations, otelTables, type Storage } from '../../storage/index.ts'
import { tempDir } from '../support/temp.ts'

// A store created before the ingest time column: its rows must read as stored
// long ago (1970), never as "just stored" at every read or merge, or the SLO
// engine would count them again as new.

const dir = tempDir()
const config = configSchema.parse({ storage: { dataDir: dir.path } })
let storage: Storage

/** The span and log tables as they were before the column and its index. */
const oldTables = () =>
  otelTables(config.storage.ttlDays)
    .filter((t) => t.name === 'otel_traces' || t.name === 'otel_logs')
    .map((t) => ({ ...t, columns: t.columns.filter((c) => !c.startsWith(INGESTED_AT.column)), indexes: t.indexes?.filter((i) => !i.includes(INGESTED_AT.index)) }))

const stored = async (service: string) =>
  (await storage.query<{ ms: string }>(`SELECT toUnixTimestamp64Milli(${INGESTED_AT.column}) AS ms FROM otel_logs WHERE ServiceName = {s:String}`, { s: service })).map((r) => Number(r.ms))

beforeAll(async () => {
  storage = await openStorage(config.storage)
  for (const t of oldTables()) for (const s of createTableStatements(t, { database: storage.database, cluster: undefined })) await storage.command(s)
})
afterAll(async () => {
  await storage.close()
  dir.remove()
})

describe('the ingest time migration of an existing store', () => {
  it('stores 1970-01-01 for the rows stored before it, and the insert time for rows stored after, through merges', async () => {
    const now = new Date().toISOString()
    await storage.insertRows('otel_logs', [{ Timestamp: now, ServiceName: 'before', Body: 'a' }])
    await storage.insertRows('otel_traces', [{ Timestamp: now, ServiceName: 'before', SpanName: 's', Duration: 1 }])
    const result = await migrate(storage, otelMigrations(config.storage.ttlDays))
    expect(result.applied).toEqual(['storage/001_otel_tables', 'storage/002_ingested_at_stored', 'storage/003_ingested_at_now', 'storage/004_insert_deduplication_window'])
    const after = Date.now()
    await storage.insertRows('otel_logs', [{ Timestamp: now, ServiceName: 'after', Body: 'b' }])
    // Read twice with time passing, then merged: the old row keeps 0, the new one its insert time.
    expect(await stored('before')).toEqual([0])
    await new Promise((r) => setTimeout(r, 20))
    expect(await stored('before')).toEqual([0])
    await storage.command('OPTIMIZE TABLE otel_logs FINAL')
    expect(await stored('before')).toEqual([0])
    const [t] = await stored('after')
    expect(t).toBeGreaterThanOrEqual(after - 1000)
    expect(t).toBeLessThanOrEqual(Date.now())
    const [span] = await storage.query<{ ms: string }>(`SELECT toUnixTimestamp64Milli(${INGESTED_AT.column}) AS ms FROM otel_traces`)
    expect(Number(span!.ms)).toBe(0)
    // The minmax index is declared, and built for the old parts too (no mutation left running).
    const indexes = await storage.query<{ table: string; type: string }>('SELECT table, type FROM system.data_skipping_indices WHERE database = currentDatabase() AND name = {n:String} ORDER BY table', { n: INGESTED_AT.index })
    expect(indexes).toEqual([{ table: 'otel_logs', type: 'minmax' }, { table: 'otel_traces', type: 'minmax' }])
    const mutations = await storage.query<{ n: string }>('SELECT count() AS n FROM system.mutations WHERE database = currentDatabase() AND NOT is_done')
    expect(Number(mutations[0]!.n)).toBe(0)
  })
})

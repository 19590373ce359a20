// The ingest tables are derived from the exporter's tables (collector/tables.ts
// from storage/schema): what the engine holds matches the derivation, rows
// land in otel_traces and otel_logs, and a database made with the first,
// hand-written ingest tables is brought to the derived ones by migration 002.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { collectorMigrations } from '../../collector/index.ts'
import { INGEST_TABLES, LOGS_INGEST, TRACES_INGEST } from '../../collector/tables.ts'
import { configSchema } from '../../config/index.ts'
import { migrate, openStorage, otelMigrations, otelInsertColumns, OTEL_TABLES, parseColumn, type Storage } from '../../storage/index.ts'
import { tempDir } from '../support/temp.ts'

const dir = tempDir('cairn-ingest-tables-')
let storage: Storage

// What collector/001 created before the columns were derived: the shape of an
// existing database, not a second declaration of the columns.
const FIRST_INGEST_TABLES = [
  'CREATE TABLE cairn_ingest_traces (ServiceName String, ResourceAttributes Map(String, String), ScopeName String, ScopeVersion String, Timestamps Array(DateTime64(9)), SpanNames Array(String)) ENGINE = Null',
  'CREATE MATERIALIZED VIEW cairn_ingest_traces_mv TO otel_traces AS SELECT Timestamps AS Timestamp, SpanNames AS SpanName, ServiceName FROM cairn_ingest_traces ARRAY JOIN Timestamps, SpanNames',
  'CREATE TABLE cairn_ingest_logs (ServiceName String, Timestamps Array(DateTime64(9)), Bodies Array(String)) ENGINE = Null',
  'CREATE MATERIALIZED VIEW cairn_ingest_logs_mv TO otel_logs AS SELECT Timestamps AS Timestamp, Bodies AS Body, ServiceName FROM cairn_ingest_logs ARRAY JOIN Timestamps, Bodies',
]

beforeAll(async () => {
  const config = configSchema.parse({ storage: { dataDir: dir.path } })
  storage = await openStorage(config.storage)
  const otel = otelMigrations({ traces: 0, logs: 0, metrics: 0 })
  await migrate(storage, [...otel, { ...collectorMigrations[0]!, statements: () => FIRST_INGEST_TABLES }])
  expect((await migrate(storage, [...otel, ...collectorMigrations])).applied).toEqual(['collector/002_ingest_tables_derived'])
})

afterAll(async () => {
  await storage?.close()
  dir.remove()
})

const columnsOf = async (table: string) =>
  (await storage.query<{ name: string; type: string }>('SELECT name, type FROM system.columns WHERE database = currentDatabase() AND table = {t:String} ORDER BY position', { t: table })).map((c) => `${c.name} ${c.type}`)

describe('ingest tables derived from the exporter tables', () => {
  it('hold, after the upgrade, the derived columns: the group, then every other written column of the target as an array', async () => {
    for (const t of [TRACES_INGEST, LOGS_INGEST]) {
      expect(await columnsOf(t.name)).toEqual(t.columns)
      const target = otelInsertColumns(t.target).map((c) => parseColumn(c).name)
      const group = t.columns.slice(0, t.columns.length - Object.keys(t.items).length).map((c) => parseColumn(c).name)
      expect([...group, ...Object.keys(t.items)].sort(), t.name).toEqual([...target].sort())
    }
  })

  it('expand each group into one exporter row per item, Nested columns included', async () => {
    const nano = (s: number) => String(BigInt(Date.now() - s * 1000) * 1_000_000n)
    await storage.insertRows(INGEST_TABLES.traces, [
      {
        ServiceName: 'derived', ResourceAttributes: { host: 'h' }, ScopeName: 'sc', ScopeVersion: '1',
        Timestamp: [nano(2), nano(1)], TraceId: ['t1', 't2'], SpanId: ['s1', 's2'], ParentSpanId: ['', ''], TraceState: ['', ''],
        SpanName: ['a', 'b'], SpanKind: ['Server', 'Client'], SpanAttributes: [{ k: 'v' }, {}], Duration: [5, 6], StatusCode: ['Ok', 'Error'], StatusMessage: ['', 'boom'],
        Events_Timestamp: [[nano(2)], []], Events_Name: [['e1'], []], Events_Attributes: [[{ x: 'y' }], []],
        Links_TraceId: [[], ['t1']], Links_SpanId: [[], ['s1']], Links_TraceState: [[], ['']], Links_Attributes: [[], [{}]],
      },
    ])
    const spans = await storage.query<Record<string, unknown>>(
      `SELECT SpanName, SpanKind, StatusCode, ScopeName, ResourceAttributes, \`Events.Name\` AS events, \`Links.SpanId\` AS links FROM ${OTEL_TABLES.traces} WHERE ServiceName = 'derived' ORDER BY SpanName`,
    )
    expect(spans).toEqual([
      { SpanName: 'a', SpanKind: 'Server', StatusCode: 'Ok', ScopeName: 'sc', ResourceAttributes: { host: 'h' }, events: ['e1'], links: [] },
      { SpanName: 'b', SpanKind: 'Client', StatusCode: 'Error', ScopeName: 'sc', ResourceAttributes: { host: 'h' }, events: [], links: ['s1'] },
    ])
  })
})

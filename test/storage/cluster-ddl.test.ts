import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { configSchema } from '../../config/index.ts'
import { openStorage, type Storage, type DdlTarget } from '../../storage/index.ts'
import { allMigrations } from '../../cli/index.ts'
import { tempDir } from '../support/temp.ts'

// There is no ClickHouse cluster here, so the cluster DDL is checked by the real
// parser (formatQuery) and by its shape: Replicated tables ON CLUSTER with a
// Distributed table of the public name over each.

const dir = tempDir()
let storage: Storage
beforeAll(async () => {
  storage = await openStorage(configSchema.parse({ storage: { dataDir: dir.path } }).storage)
})
afterAll(async () => {
  await storage.close()
  dir.remove()
})

const config = configSchema.parse({})
const target: DdlTarget = { database: 'otel', cluster: 'prod' }
const statements = allMigrations(config).flatMap((m) => m.statements(target))

describe('cluster DDL', () => {
  it('parses with the ClickHouse parser, every DDL statement ON CLUSTER', async () => {
    for (const sql of statements) {
      const [row] = await storage.query<{ f: string }>('SELECT formatQuery({sql:String}) AS f', { sql })
      // A backfill INSERT goes through the Distributed table from one node: INSERT has no ON CLUSTER.
      if (/^INSERT /i.test(sql)) expect(row!.f).toMatch(/^INSERT INTO (otel\.)?cairn_\w+ SELECT/)
      else expect(row!.f).toContain('ON CLUSTER prod')
    }
  })

  it('creates a Replicated local table and a Distributed table for every table', () => {
    const locals = statements.filter((s) => /^CREATE TABLE IF NOT EXISTS `\w+_local` ON CLUSTER `prod`/.test(s))
    const distributed = statements.filter((s) => s.includes('ENGINE = Distributed(`prod`, `otel`'))
    expect(locals.length).toBeGreaterThanOrEqual(12)
    expect(distributed).toHaveLength(locals.length)
    for (const s of locals) expect(s).toMatch(/ENGINE = Replicated\w*MergeTree\('\/clickhouse\/tables\/\{shard\}\/\{database\}\/\{table\}', '\{replica\}'/)
    expect(statements.find((s) => s.includes('`otel_traces` ON CLUSTER'))).toContain('`otel_traces_local`, cityHash64(TraceId))')
  })

  it('points the trace id view from local table to local table', () => {
    const view = statements.find((s) => s.startsWith('CREATE MATERIALIZED VIEW'))
    expect(view).toContain('TO `otel_traces_trace_id_ts_local`')
    expect(view).toContain('FROM `otel_traces_local`')
  })
})

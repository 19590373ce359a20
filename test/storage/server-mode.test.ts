import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { configSchema } from '../../config/index.ts'
import { migrate, openStorage, otelTables, rowBinary, StorageTimeoutError, StorageUnavailableError, type Storage } from '../../storage/index.ts'
import { allMigrations } from '../../cli/index.ts'
import { startClickHouseShim, type ClickHouseShim } from '../support/clickhouse-http-shim.ts'
import { startCairn } from '../support/cairn-process.ts'
import { tempDir } from '../support/temp.ts'
import { startTcpProxy } from '../support/tcp-proxy.ts'
import { expectTypedErrors } from './typed-errors.ts'
import { ROW_BINARY_COLUMNS, ROW_BINARY_TABLE_DDL, expectStoredRows, rowBinaryPayload } from './row-binary-rows.ts'

// Server mode over HTTP, against an HTTP ClickHouse that runs on chDB
// (test/support/clickhouse-http-shim.ts): cairn's own client, bootstrap and
// separate processes sharing one store.

const dir = tempDir()
let shim: ClickHouseShim
const serverConfig = () =>
  configSchema.parse({ storage: { clickhouse: { url: shim.url, user: 'cairn', password: 's3cret', database: 'otel' } } })

beforeAll(async () => {
  shim = await startClickHouseShim({ dataDir: dir.path, user: 'cairn', password: 's3cret' })
})
afterAll(async () => {
  await shim.close()
  dir.remove()
})

describe('storage on a ClickHouse server', () => {
  let storage: Storage
  afterAll(() => storage?.close())

  it('creates the database, migrates into it, and reads and writes over HTTP', async () => {
    const config = serverConfig()
    storage = await openStorage(config.storage)
    expect(storage.mode).toBe('server')
    const result = await migrate(storage, allMigrations(config), otelTables(config.storage.ttlDays))
    expect(result.applied).toContain('storage/001_otel_tables')
    const tables = await shim.query("SELECT name FROM system.tables WHERE database = 'otel' AND name LIKE 'otel_%' ORDER BY name")
    expect(tables.trim().split('\n').map((l) => JSON.parse(l).name)).toContain('otel_metrics_exponential_histogram')

    const now = Date.now()
    await storage.insertRaw(
      'otel_logs',
      'JSONEachRow',
      Buffer.from(`{"Timestamp":"${now}000000","ServiceName":"api","Body":"tab\\there","SeverityNumber":17}\n{"Timestamp":"${now}000000","ServiceName":"web","Body":"b","SeverityNumber":9}\n`),
    )
    const rows = await storage.query<{ Body: string; n: string }>(
      'SELECT Body, count() AS n FROM otel_logs WHERE ServiceName IN {services:Array(String)} AND SeverityNumber >= {min:UInt8} GROUP BY Body',
      { services: ['api', 'web'], min: 17 },
    )
    expect(rows).toEqual([{ Body: 'tab\there', n: '1' }])
    expect((await migrate(storage, allMigrations(config), otelTables(config.storage.ttlDays))).applied).toEqual([])
  })

  it('inserts RowBinary of named columns over HTTP, bytes unchanged', async () => {
    const config = serverConfig()
    const binary = await openStorage(config.storage)
    try {
      await binary.command(ROW_BINARY_TABLE_DDL)
      await binary.insertRaw('rb', rowBinary(ROW_BINARY_COLUMNS), rowBinaryPayload())
      await expectStoredRows((sql) => binary.query(sql))
    } finally {
      await binary.close()
    }
  })

  it('reports a wrong password as a clear start-up error', async () => {
    const config = configSchema.parse({ storage: { clickhouse: { url: shim.url, user: 'cairn', password: 'wrong' } } })
    const error = await openStorage(config.storage).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(StorageUnavailableError)
    expect((error as Error).message).toMatch(/^cannot reach ClickHouse at http:\/\/127\.0\.0\.1:\d+: .*Authentication failed/)
  })
})

describe('typed errors over HTTP', () => {
  it('types bad data, overload and wrong statements by their ClickHouse code, as the embedded engine does', async () => {
    const storage = await openStorage(serverConfig().storage)
    try {
      await expectTypedErrors(storage)
    } finally {
      await storage.close()
    }
  })

  it('types a refusing server, a stalled one and a stopped one as unavailable (the stall as a timeout)', async () => {
    const proxy = await startTcpProxy(shim.url)
    const config = configSchema.parse({ storage: { clickhouse: { url: proxy.url, user: 'cairn', password: 's3cret', database: 'otel', requestTimeoutMs: 500 } } })
    const storage = await openStorage(config.storage)
    try {
      shim.setMode('refuse')
      const refused = await storage.query('SELECT 1').then(() => undefined, (e: unknown) => e as StorageUnavailableError)
      expect(refused).toBeInstanceOf(StorageUnavailableError)
      expect(refused?.code).toBe(210)
      shim.setMode('stall')
      const stalled = await storage.insertRaw('otel_logs', 'JSONEachRow', Buffer.from('{}\n')).catch((e: unknown) => e)
      expect(stalled).toBeInstanceOf(StorageTimeoutError)
      shim.setMode('up')
      await proxy.stop()
      const stopped = await storage.query('SELECT 1').catch((e: unknown) => e as Error)
      expect(stopped).toBeInstanceOf(StorageUnavailableError)
      expect(stopped).not.toBeInstanceOf(StorageTimeoutError)
    } finally {
      shim.setMode('up')
      await proxy.stop()
      await storage.close()
    }
  })
})

describe('separate cairn processes on one server', () => {
  it('runs engine and api as separate processes, each ready, and reports an outage on /readyz', async () => {
    const env = { CAIRN_CLICKHOUSE_URL: shim.url, CAIRN_CLICKHOUSE_USER: 'cairn', CAIRN_CLICKHOUSE_PASSWORD: 's3cret', CAIRN_CLICKHOUSE_DATABASE: 'otel' }
    const engine = await startCairn({ ...env, CAIRN_SLO_DIR: dir.path }, 'engine')
    const api = await startCairn(env, 'api')
    try {
      for (const p of [engine, api]) expect((await fetch(`${p.apiUrl}/readyz`)).status).toBe(200)
      expect(api.otlpPort).toBeUndefined()
      expect(api.output()).not.toContain('s3cret')
      shim.setMode('refuse')
      const down = await fetch(`${api.apiUrl}/readyz`)
      expect(down.status).toBe(503)
      expect(((await down.json()) as { error: { code: string; message: string } }).error).toMatchObject({ code: 'unavailable', message: expect.stringMatching(/^not ready: storage unreachable/) })
      shim.setMode('up')
      expect((await fetch(`${api.apiUrl}/readyz`)).status).toBe(200)
    } finally {
      shim.setMode('up')
      expect(await api.stop()).toBe(0)
      expect(await engine.stop()).toBe(0)
    }
  })
})

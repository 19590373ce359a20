import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { configSchema } from '../../config/index.ts'
import type { Storage } from '../../storage/index.ts'
import { createApi, createAuthorizer } from '../../api/index.ts'
import { createSloCatalog } from '../../slo-engine/index.ts'
import { createLogger } from '../../instrumentation/index.ts'
import { startClickHouseShim, type ClickHouseShim } from '../support/clickhouse-http-shim.ts'
import { openMigratedStorage } from '../support/storage.ts'
import { tempDir } from '../support/temp.ts'

// Server mode: the API over cairn's HTTP client to a ClickHouse server (the
// chDB-backed shim), through an outage after start-up: refused requests, a
// stall past the request timeout, and the server gone. Each is a 503 with
// Retry-After in the one error shape; the API recovers when the server does.

const dir = tempDir()
let shim: ClickHouseShim
let shimClosed = false
let storage: Storage
let api: ReturnType<typeof createApi>

beforeAll(async () => {
  shim = await startClickHouseShim({ dataDir: dir.path })
  const config = configSchema.parse({ storage: { clickhouse: { url: shim.url, database: 'otel', requestTimeoutMs: 1000 } } })
  storage = await openMigratedStorage(config)
  const logger = createLogger('silent')
  api = createApi({ storage, logger, auth: createAuthorizer([]), catalog: createSloCatalog({ storage, sloDir: undefined, logger }) })
}, 60_000)

afterAll(async () => {
  await storage?.close().catch(() => undefined)
  if (!shimClosed) await shim?.close()
  dir.remove()
})

const READ_PATHS = ['/api/v1/logs?from=now-1h', '/api/v1/traces/5b8efff798038103d269b633813fc60c', '/api/v1/slos']
const UNAVAILABLE = { code: 'unavailable', message: 'storage is unavailable; retry later' }
const TIMED_OUT = { code: 'unavailable', message: expect.stringMatching(/^storage did not answer in time/) }

async function get(path: string) {
  const res = await api.request(path)
  return { status: res.status, retryAfter: res.headers.get('retry-after'), body: (await res.json()) as { error?: unknown } }
}

describe('the API through a ClickHouse server outage', () => {
  it('reads with the bounded read settings over HTTP while the server is up', async () => {
    expect((await get('/api/v1/logs?from=now-1h')).status).toBe(200)
    expect((await get('/api/v1/traces/5b8efff798038103d269b633813fc60c')).status).toBe(404)
    expect((await get('/api/v1/slos')).status).toBe(200)
  })

  it('answers 503 + Retry-After while the server refuses requests, and 200 again once it is back', async () => {
    shim.setMode('refuse')
    try {
      for (const path of READ_PATHS) expect(await get(path), path).toEqual({ status: 503, retryAfter: '5', body: { error: UNAVAILABLE } })
    } finally {
      shim.setMode('up')
    }
    expect((await get('/api/v1/logs?from=now-1h')).status).toBe(200)
  })

  it('answers 503 + Retry-After when the server stalls past the request timeout', async () => {
    shim.setMode('stall')
    try {
      expect(await get('/api/v1/logs?from=now-1h')).toEqual({ status: 503, retryAfter: '5', body: { error: TIMED_OUT } })
    } finally {
      shim.setMode('up')
    }
  })

  it('answers 503 + Retry-After when the server is gone (connection refused)', async () => {
    await shim.close()
    shimClosed = true
    for (const path of READ_PATHS) expect(await get(path), path).toEqual({ status: 503, retryAfter: '5', body: { error: UNAVAILABLE } })
  })
})

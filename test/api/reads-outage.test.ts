import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { configSchema } from '../../config/index.ts'
import { clickhouseErrorCode, isStorageUnavailable, type Storage } from '../../storage/index.ts'
import { createApi, createAuthorizer } from '../../api/index.ts'
import { telemetryReads } from '../../api/reads.ts'
import { createSloCatalog } from '../../slo-engine/index.ts'
import { createLogger } from '../../instrumentation/index.ts'
import { openMigratedStorage } from '../support/storage.ts'
import { tempDir } from '../support/temp.ts'

// Log and trace reads on the embedded engine: parameters out of range are a
// 400 naming the parameter, reads run bounded (read-only, time, size,
// concurrency), and storage failing at runtime is a 503 with Retry-After.

const dir = tempDir()
const config = configSchema.parse({ storage: { dataDir: join(dir.path, 'data') } })
let storage: Storage

const silent = createLogger('silent')
const apiWith = (reads: Record<string, number> = {}) =>
  createApi({
    storage,
    logger: silent,
    auth: createAuthorizer([]),
    catalog: createSloCatalog({ storage, sloDir: undefined, logger: silent }),
    reads: configSchema.parse({ api: { reads } }).api.reads,
  })

async function get(api: ReturnType<typeof createApi>, path: string) {
  const res = await api.request(path)
  return { status: res.status, retryAfter: res.headers.get('retry-after'), body: (await res.json()) as { error?: { code: string; message: string } } }
}

beforeAll(async () => {
  storage = await openMigratedStorage(config)
  const now = Date.now()
  // 300 log records of 4 KiB bodies in the last minutes.
  const rows = Array.from({ length: 300 }, (_, i) => JSON.stringify({ Timestamp: `${now - i * 1000}000000`, ServiceName: 'big', Body: 'x'.repeat(4096), SeverityNumber: 9 }))
  await storage.insertRaw('otel_logs', 'JSONEachRow', Buffer.from(rows.join('\n') + '\n'))
}, 60_000)

afterAll(async () => {
  await storage?.close().catch(() => undefined)
  dir.remove()
})

describe('log and trace read parameters', () => {
  it.each([
    ['/api/v1/logs?to=99999999999999', 'query parameter to: expected a time between 1970-01-01T00:00:00.000Z and 2100-01-01T00:00:00.000Z (got "99999999999999")'],
    ['/api/v1/logs?from=now-99999999999d', 'query parameter from: expected a time between 1970-01-01T00:00:00.000Z and 2100-01-01T00:00:00.000Z (got "now-99999999999d")'],
    ['/api/v1/logs?from=2026-02-30T00:00:00Z', 'query parameter from: expected a time'],
    ['/api/v1/logs?service=' + 'x'.repeat(1025), 'query parameter service: expected a service name of at most 1024 characters'],
    ['/api/v1/logs?from=yesterday', 'query parameter from: expected a time: RFC 3339, Unix seconds, now, or now-<duration> (e.g. now-7d)'],
    ['/api/v1/logs?limit=100000', 'query parameter limit: expected at most 1000'],
    ['/api/v1/logs?limit=ten', 'query parameter limit: expected a number'],
    ['/api/v1/logs?severity=loud', 'query parameter severity: expected trace, debug, info, warn, error, fatal or a severity number 1-24'],
    ['/api/v1/logs?from=now-8d', 'the range'],
    ['/api/v1/traces/not-a-trace', 'path parameter traceId: expected a trace id of 32 hex digits'],
  ])('%s is a 400 naming the parameter', async (path, message) => {
    const { status, body } = await get(apiWith(), path)
    expect(status).toBe(400)
    expect(body.error!.code).toBe('bad_request')
    expect(body.error!.message).toContain(message)
  })

  it('refuses a range longer than api.reads.maxRangeDays, naming the setting, and accepts one within it', async () => {
    const api = apiWith({ maxRangeDays: 2 })
    const refused = await get(api, '/api/v1/logs?from=now-3d')
    expect(refused.status).toBe(400)
    expect(refused.body.error!.message).toMatch(/^query parameter from: the range .* is longer than 48h \(api\.reads\.maxRangeDays\): narrow it$/)
    expect((await get(api, '/api/v1/logs?from=now-47h&service=big&limit=5')).status).toBe(200)
  })
})

describe('bounded reads', () => {
  it('answers 422 when the answer would pass api.reads.maxResultBytes, naming what to narrow', async () => {
    const small = apiWith({ maxResultBytes: 64 * 1024 })
    const res = await get(small, '/api/v1/logs?service=big&limit=1000')
    expect(res.status).toBe(422)
    expect(res.body.error).toEqual({ code: 'result_too_large', message: expect.stringContaining('narrow the time range') })
    const fine = await get(apiWith(), '/api/v1/logs?service=big&limit=1000')
    expect(fine.status).toBe(200)
    expect((fine.body as unknown as { logs: unknown[] }).logs).toHaveLength(300)
  })

  it('answers 503 + Retry-After when a read passes api.reads.maxMemoryBytes, saying so', async () => {
    const res = await get(apiWith({ maxMemoryBytes: 256 * 1024 }), '/api/v1/logs?service=big&limit=1000')
    expect(res).toEqual({ status: 503, retryAfter: '5', body: { error: { code: 'unavailable', message: expect.stringMatching(/^storage ran out of memory for this read/) } } })
  })

  it('runs reads read-only: a write through the read path is refused by the engine', async () => {
    const reads = telemetryReads(storage, configSchema.parse({}).api.reads)
    const error = await reads.query('CREATE TABLE should_not_exist (x UInt8) ENGINE = Memory', {}).catch((e: unknown) => e)
    expect(clickhouseErrorCode(error)).toBe(164) // READONLY
    expect(await storage.query('EXISTS TABLE should_not_exist')).toEqual([{ result: 0 }])
  })

  it('stops a read at api.reads.maxExecutionSeconds, and that counts as storage unavailable (503)', async () => {
    const reads = telemetryReads(storage, { ...configSchema.parse({}).api.reads, maxExecutionSeconds: 1 })
    const started = Date.now()
    const error = await reads.query('SELECT count() FROM numbers(100000000000) WHERE sleepEachRow(0) = 0', {}).catch((e: unknown) => e)
    expect(Date.now() - started).toBeLessThan(5000)
    expect(clickhouseErrorCode(error)).toBe(159) // TIMEOUT_EXCEEDED
    expect(isStorageUnavailable(error)).toBe(true)
  })

  it('runs at most maxConcurrent reads at once, queues a few more and answers 429 + Retry-After beyond', async () => {
    // The real store, seen through an object that counts the reads inside it at once.
    let inside = 0
    let peak = 0
    const counting: Storage = Object.create(storage, {
      query: {
        value: async (...args: Parameters<Storage['query']>) => {
          peak = Math.max(peak, ++inside)
          try {
            return await storage.query(...args)
          } finally {
            inside--
          }
        },
      },
    })
    const reads = telemetryReads(counting, { ...configSchema.parse({}).api.reads, maxConcurrent: 1 })
    // 1 runs, 8 wait (8 per slot), the 10th is refused at once.
    const outcomes = await Promise.allSettled(Array.from({ length: 10 }, () => reads.query('SELECT sleep(0.05) AS s', {})))
    const refused = outcomes.filter((o) => o.status === 'rejected')
    expect(refused).toHaveLength(1)
    expect((refused[0] as PromiseRejectedResult).reason).toMatchObject({ status: 429, code: 'too_many_requests', headers: { 'Retry-After': '1' } })
    expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(9)
    expect(peak).toBe(1)
  })
})

describe('storage failing at runtime', () => {
  it('answers 503 + Retry-After in the one error shape, for every read route', async () => {
    const api = apiWith()
    expect((await get(api, '/api/v1/logs')).status).toBe(200)
    await storage.close()
    for (const path of ['/api/v1/logs', '/api/v1/traces/5b8efff798038103d269b633813fc60c', '/api/v1/slos', '/api/v1/slos/x-y']) {
      const res = await get(api, path)
      expect(res, path).toEqual({ status: 503, retryAfter: '5', body: { error: { code: 'unavailable', message: 'storage is unavailable; retry later' } } })
    }
  })
})

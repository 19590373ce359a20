// The collector against a ClickHouse server over HTTP (the shim runs one on
// chDB): TabSeparated inserts through the ingest views, and a server that
// refuses or stalls, then comes back.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { configSchema } from '../../config/index.ts'
import { createLogger, createMetricsRegistry } from '../../instrumentation/index.ts'
import { migrate, openStorage, otelTables, type Storage } from '../../storage/index.ts'
import { allMigrations } from '../../cli/index.ts'
import { createCollector, type Collector } from '../../collector/index.ts'
import { metricValue } from './harness.ts'
import { startClickHouseShim, type ClickHouseShim } from '../support/clickhouse-http-shim.ts'
import { tempDir } from '../support/temp.ts'
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy.ts'
import { compressSync } from 'snappy'
import { concat, double, len, uvarint } from './proto-writer.ts'

const dir = tempDir()
let shim: ClickHouseShim
/** Between cairn and the shim, so that the last test can take the server away. */
let proxy: TcpProxy
let storage: Storage
let collector: Collector
let url: string
const registry = createMetricsRegistry()

beforeAll(async () => {
  shim = await startClickHouseShim({ dataDir: dir.path })
  proxy = await startTcpProxy(shim.url)
  const config = configSchema.parse({ storage: { clickhouse: { url: proxy.url, database: 'otel', requestTimeoutMs: 5000 }, ttlDays: { traces: 0, logs: 0, metrics: 0 } } })
  storage = await openStorage(config.storage)
  await migrate(storage, allMigrations(config), otelTables(config.storage.ttlDays))
  // Server defaults, with a short interval and timeouts to keep the test quick.
  collector = createCollector({
    config: configSchema.parse({ collector: { port: 0, flushIntervalMs: 20, retryAfterSeconds: 1, writeTimeoutMs: 1500 } }).collector,
    host: '127.0.0.1',
    storage,
    logger: createLogger('silent'),
    registry,
  })
  url = `http://127.0.0.1:${await collector.start()}`
})
afterAll(async () => {
  await collector.stop()
  await storage.close()
  await proxy.stop()
  await shim.close()
  dir.remove()
})

let serial = 0
/** A logs request of `service`: one record, or one on each of `days` consecutive days. */
function request(service: string, days = 1): string {
  const logRecords = Array.from({ length: days }, (_, day) => {
    const spanId = (++serial).toString(16).padStart(16, '0')
    return { timeUnixNano: String(1714557600000000000n - BigInt(day) * 86_400_000_000_000n), body: { stringValue: `line ${spanId}` }, spanId }
  })
  return JSON.stringify({ resourceLogs: [{ resource: { attributes: [{ key: 'service.name', value: { stringValue: service } }] }, scopeLogs: [{ logRecords }] }] })
}
const post = (body: string) => fetch(`${url}/v1/logs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body })
const bodies = async (service: string) =>
  (await storage.query<{ Body: string }>('SELECT Body FROM otel_logs WHERE ServiceName = {s:String} ORDER BY Body', { s: service })).map((r) => r.Body)

describe('collector on a ClickHouse server', () => {
  it('writes through the ingest views over HTTP', async () => {
    expect(storage.mode).toBe('server')
    const res = await post(request('server-ok'))
    expect(res.status).toBe(200)
    expect(await bodies('server-ok')).toEqual(['line 0000000000000001'])
    const [row] = await storage.query<{ SpanId: string; ts: string }>(
      "SELECT SpanId, toString(toUnixTimestamp64Nano(Timestamp)) AS ts FROM otel_logs WHERE ServiceName = 'server-ok'",
    )
    expect(row).toEqual({ SpanId: '0000000000000001', ts: '1714557600000000000' })
  })

  it('answers 503 while the server refuses or stalls, and stores again once it is back', async () => {
    shim.setMode('refuse')
    const refused = await post(request('server-down'))
    expect(refused.status).toBe(503)
    expect(refused.headers.get('retry-after')).toBe('1')
    shim.setMode('up')
    await new Promise((resolve) => setTimeout(resolve, 1100))

    shim.setMode('stall')
    const stalled = await post(request('server-down'))
    expect(stalled.status).toBe(503)
    expect(((await stalled.json()) as { message: string }).message).toContain('did not finish within 1500 ms')
    shim.setMode('up')
    await new Promise((resolve) => setTimeout(resolve, 1100))

    const ok = await post(request('server-down'))
    expect(ok.status).toBe(200)
    // The stalled insert may still have completed once released (at-least-once); the acknowledged one is there.
    expect(await bodies('server-down')).toContain('line 0000000000000004')
    expect(await bodies('server-down')).not.toContain('line 0000000000000002')
  })

  it('writes metric points and remote_write samples as RowBinary over HTTP', async () => {
    const exemplar = { timeUnixNano: '1714557600000000001', asDouble: 0.5, traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7' }
    const metrics = {
      resourceMetrics: [
        {
          resource: { attributes: [{ key: 'service.name', value: { stringValue: 'server-metrics' } }] },
          scopeMetrics: [
            {
              metrics: [
                { name: 'srv.latency', histogram: { aggregationTemporality: 2, dataPoints: [{ timeUnixNano: '1714557600000000000', count: '3', sum: 'NaN', bucketCounts: ['1', '2'], explicitBounds: [1], exemplars: [exemplar] }] } },
                { name: 'srv.depth', gauge: { dataPoints: [{ timeUnixNano: '1714557600000000000', asDouble: '-Infinity' }] } },
              ],
            },
          ],
        },
      ],
    }
    const res = await fetch(`${url}/v1/metrics`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(metrics) })
    expect(res.status).toBe(200)
    const [histogram] = await storage.query(
      "SELECT Count, toString(Sum) AS sum, BucketCounts, ExplicitBounds, Exemplars.Value AS ev, Exemplars.TraceId AS et FROM otel_metrics_histogram WHERE ServiceName = 'server-metrics'",
    )
    expect(histogram).toEqual({ Count: '3', sum: 'nan', BucketCounts: ['1', '2'], ExplicitBounds: [1], ev: [0.5], et: ['4bf92f3577b34da6a3ce929d0e0e4736'] })
    expect(await storage.query("SELECT toString(Value) AS v FROM otel_metrics_gauge WHERE ServiceName = 'server-metrics'")).toEqual([{ v: '-inf' }])

    const label = (name: string, value: string) => len(1, concat(len(1, name), len(2, value)))
    const sample = len(2, concat(double(1, 42), uvarint(2, 1714557600000)))
    const write = len(1, concat(label('__name__', 'srv_requests_total'), label('job', 'srv'), sample))
    const rw = await fetch(`${url}/api/v1/write`, { method: 'POST', headers: { 'content-type': 'application/x-protobuf', 'content-encoding': 'snappy' }, body: compressSync(write) })
    expect(rw.status).toBe(204)
    expect(await storage.query("SELECT Value, ServiceName, IsMonotonic FROM otel_metrics_sum WHERE MetricName = 'srv_requests_total'")).toEqual([{ Value: 42, ServiceName: 'srv', IsMonotonic: true }])
  })
})

/** Waits until the collector holds `items` items, buffered or being written. */
const queuedItems = (items: number) => vi.waitFor(async () => expect(await metricValue(registry, 'cairn_collector_queue_rows')).toBe(items), { timeout: 10_000, interval: 20 })

describe('isolation and outage on a ClickHouse server', () => {
  it('answers 400 to the request whose rows the server refuses, and stores its batch-mates', async () => {
    // The stalled server holds the first insert; the next requests gather into one batch behind it.
    shim.setMode('stall')
    const blocked = post(request('srv-iso-blocker'))
    await queuedItems(1)
    const answers = Promise.all([post(request('srv-iso-good')), post(request('srv-iso-poison', 150)), post(request('srv-iso-good'))])
    await queuedItems(153)
    shim.setMode('up')
    expect((await blocked).status).toBe(200)
    const [a, poison, b] = await answers
    expect([a!.status, poison!.status, b!.status]).toEqual([200, 400, 200])
    expect(((await poison!.json()) as { message: string }).message).toMatch(/^ClickHouse refused the rows for cairn_ingest_logs: Too many partitions for single INSERT block/)
    expect(await bodies('srv-iso-good')).toHaveLength(2)
    expect(await bodies('srv-iso-poison')).toEqual([])
    expect((await post(request('srv-iso-after'))).status).toBe(200)
  })

  // Last in the file: the server does not come back.
  it('answers 503 with Retry-After to every sender once the server is gone', async () => {
    await proxy.stop()
    const logs = await post(request('srv-gone'))
    expect(logs.status).toBe(503)
    expect(logs.headers.get('retry-after')).toBe('1')
    expect(((await logs.json()) as { message: string }).message).toMatch(/^writing to cairn_ingest_logs failed: /)
    const traces = await fetch(`${url}/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"4bf92f3577b34da6a3ce929d0e0e4736","spanId":"00f067aa0ba902b7","name":"x","startTimeUnixNano":"1714557600000000000","endTimeUnixNano":"1714557600000000000"}]}]}]}' })
    expect(traces.status).toBe(503)
    expect(traces.headers.get('retry-after')).toBe('1')
  })
})

// The collector's request bodies against the process's body budget and its
// limits: a spent budget is 429 (503 for remote_write) with Retry-After before
// the body is read; gzip is stopped at the limit as it streams; a sender that
// trickles its body in is cut off with 408.

import { request } from 'node:http'
import { gzipSync } from 'node:zlib'
import { compressSync } from 'snappy'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { LIMIT_DEFAULTS, createIsolation, type Isolation } from '../../isolation/index.ts'
import { normalTraces } from '../../bench/hostile-inputs.ts'
import { concat, len, uvarint } from '../collector/proto-writer.ts'
import { openHarness, type Harness, type RunningCollector } from '../collector/harness.ts'

const MiB = 1024 * 1024
let h: Harness
let c: RunningCollector
let isolation: Isolation

beforeAll(async () => {
  h = await openHarness()
  isolation = createIsolation({ ...LIMIT_DEFAULTS, inflightBodyBytes: 3 * MiB, retryAfterSeconds: 2 })
  c = await h.startCollector({ isolation, collector: { maxBodyBytes: 4 * MiB, bodyTimeoutMs: 1500 } })
}, 60_000)

afterAll(async () => {
  await c?.stop()
  await isolation?.pool.close()
  await h?.close()
})

/** Starts a request that declares `declared` bytes and sends only `sent`; resolves with its answer when it comes. */
function heldOpen(path: string, headers: Record<string, string>, declared: number, sent: Buffer) {
  const url = new URL(c.url)
  return new Promise<{ status: number; body: string; headers: Record<string, unknown> }>((resolve, reject) => {
    const req = request({ host: url.hostname, port: url.port, path, method: 'POST', headers: { ...headers, 'content-length': String(declared) } }, (res) => {
      let body = ''
      res.on('data', (d) => (body += d))
      res.on('end', () => resolve({ status: res.statusCode!, body, headers: res.headers }))
    })
    req.on('error', reject)
    req.write(sent)
  })
}

const post = (path: string, headers: Record<string, string>, body: Buffer) => fetch(`${c.url}${path}`, { method: 'POST', headers, body })
const PROTO = { 'content-type': 'application/x-protobuf' }

describe('the body budget', () => {
  it('answers 429 with Retry-After while other bodies hold the budget, then accepts again', async () => {
    // 2.5 MiB declared and held: the next body of 1 MiB does not fit the 3 MiB budget.
    const slow = heldOpen('/v1/traces', PROTO, 2.5 * MiB, Buffer.alloc(10))
    await new Promise((r) => setTimeout(r, 200))
    const refused = await post('/v1/traces', PROTO, normalTraces(MiB))
    expect(refused.status).toBe(429)
    expect(refused.headers.get('retry-after')).toBe('2')
    expect(await refused.text()).toMatch(/limits\.inflightBodyBytes/)
    // remote_write: 503, which Prometheus retries without being told to.
    const rw = await post('/api/v1/write', { ...PROTO, 'content-encoding': 'snappy' }, compressSync(Buffer.alloc(MiB, 0)))
    expect(rw.status).toBe(503)
    expect(rw.headers.get('retry-after')).toBe('2')
    // The slow sender is cut off at bodyTimeoutMs, which frees its share.
    const timedOut = await slow
    expect(timedOut.status).toBe(408)
    expect(timedOut.body).toMatch(/bodyTimeoutMs/)
    expect(isolation.budget.inUse).toBe(0)
    expect((await post('/v1/traces', PROTO, normalTraces(MiB))).status).toBe(200)
  }, 30_000)

  it('stops a gzip bomb at the size limit as it inflates, holding no more than the limit', async () => {
    const before = isolation.budget.peak
    const res = await post('/v1/traces', { 'content-type': 'application/json', 'content-encoding': 'gzip' }, gzipSync(Buffer.alloc(64 * MiB)))
    expect(res.status).toBe(413)
    expect(await res.text()).toMatch(/decompressed body exceeds the limit of 4194304 bytes/)
    expect(isolation.budget.peak).toBeLessThanOrEqual(Math.max(before, 4 * MiB + MiB))
    expect(isolation.budget.inUse).toBe(0)
  }, 30_000)

  it('decodes a body over offloadBytes in a parse worker, with the same answer as inline', async () => {
    const body = normalTraces(MiB)
    expect(body.length).toBeGreaterThan(isolation.offloadBytes)
    const res = await post('/v1/traces', PROTO, body)
    expect(res.status).toBe(200)
    expect(Buffer.from(await res.arrayBuffer()).length).toBe(0) // no partial success: every span accepted
  }, 30_000)
})

describe('remote_write in a parse worker', () => {
  it('types a series by metadata sent in an earlier request, and keeps the metadata a worker-decoded request carried', async () => {
    // Every body goes to the worker: offloadBytes 1.
    const offloading = createIsolation({ ...LIMIT_DEFAULTS, offloadBytes: 1 })
    const rw = await h.startCollector({ isolation: offloading })
    try {
      const t = Date.now()
      const metadata = (family: string) => len(3, concat(uvarint(1, 1), len(2, family), len(4, 'Jobs done.')))
      const sample = concat(Buffer.from([0x09]), Buffer.from(new Float64Array([5]).buffer), uvarint(2, t))
      const series = (name: string) => len(1, concat(len(1, concat(len(1, '__name__'), len(2, name))), len(1, concat(len(1, 'job'), len(2, 'worker'))), len(2, sample)))
      const send = (body: Buffer) => fetch(`${rw.url}/api/v1/write`, { method: 'POST', headers: { ...PROTO, 'content-encoding': 'snappy' }, body: compressSync(body) })
      // A counter named without _total is a gauge unless metadata says otherwise.
      expect((await send(metadata('worker_jobs_a'))).status).toBe(204)
      expect((await send(series('worker_jobs_a'))).status).toBe(204)
      // Metadata and its series in one request, then a later request of the same family.
      expect((await send(concat(metadata('worker_jobs_b'), series('worker_jobs_b')))).status).toBe(204)
      expect((await send(series('worker_jobs_b'))).status).toBe(204)
      expect((await send(series('worker_jobs_c'))).status).toBe(204)
      const rows = await h.storage.query<{ MetricName: string; n: string }>(
        `SELECT MetricName, toString(count()) AS n FROM otel_metrics_sum WHERE MetricName LIKE 'worker\\_jobs\\_%' GROUP BY MetricName ORDER BY MetricName`,
      )
      expect(rows).toEqual([
        { MetricName: 'worker_jobs_a', n: '1' },
        { MetricName: 'worker_jobs_b', n: '2' },
      ])
      const gauges = await h.storage.query<{ MetricName: string }>(`SELECT MetricName FROM otel_metrics_gauge WHERE MetricName LIKE 'worker\\_jobs\\_%'`)
      expect(gauges).toEqual([{ MetricName: 'worker_jobs_c' }])
    } finally {
      await rw.stop()
      await offloading.pool.close()
    }
  }, 60_000)
})

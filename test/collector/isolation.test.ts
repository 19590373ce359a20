// Ingest isolation: a request whose rows ClickHouse refuses (here: spans on 150
// distinct days, more partitions than one insert block may touch) fails alone
// with a 400, while the requests written in the same batch are stored and
// acknowledged and no later sender is refused.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import type { RawInsertFormat, Storage } from '../../storage/index.ts'
import { compressSync } from 'snappy'
import { metricValue, openHarness, type Harness, type RunningCollector } from './harness.ts'
import { concat, double, len, uvarint } from './proto-writer.ts'

let h: Harness
beforeAll(async () => {
  h = await openHarness()
})
afterAll(async () => {
  await h.close()
})

/** The real storage, recording each insert's table and size, with inserts that can be held until released. */
function gatedStorage(real: Storage) {
  const inserts: { table: string; bytes: number; ok: boolean }[] = []
  let gate: Promise<void> | undefined
  let open: () => void = () => undefined
  const storage = new Proxy(real, {
    get(target, prop, receiver) {
      if (prop !== 'insertRaw') return Reflect.get(target, prop, receiver)
      return async (table: string, format: RawInsertFormat, payload: Buffer) => {
        if (gate) await gate
        try {
          await target.insertRaw(table, format, payload)
          inserts.push({ table, bytes: payload.length, ok: true })
        } catch (err) {
          inserts.push({ table, bytes: payload.length, ok: false })
          throw err
        }
      }
    },
  })
  return {
    storage,
    inserts,
    hold: () => void (gate = new Promise((resolve) => (open = resolve))),
    release: () => {
      gate = undefined
      open()
    },
  }
}

const DAY_NS = 86_400_000_000_000n
const BASE_NS = 1_700_000_000_000_000_000n
let serial = 0

/** An OTLP/JSON request of `service` with one span on each of `days` consecutive days from `firstDay` (days after BASE). */
function spansOnDays(service: string, days: number, firstDay = 0): { body: string; ids: string[] } {
  const spans = Array.from({ length: days }, (_, i) => {
    const start = BASE_NS + BigInt(firstDay + i) * DAY_NS
    return { traceId: '5bf92f3577b34da6a3ce929d0e0e4736', spanId: (++serial).toString(16).padStart(16, '0'), name: 'op', startTimeUnixNano: String(start), endTimeUnixNano: String(start + 1000n) }
  })
  const body = JSON.stringify({ resourceSpans: [{ resource: { attributes: [{ key: 'service.name', value: { stringValue: service } }] }, scopeSpans: [{ spans }] }] })
  return { body, ids: spans.map((s) => s.spanId).sort() }
}

const post = (c: RunningCollector, body: string, signal = 'traces') =>
  fetch(`${c.url}/v1/${signal}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body })
const stored = async (service: string) =>
  (await h.storage.query<{ SpanId: string }>('SELECT SpanId FROM otel_traces WHERE ServiceName = {s:String}', { s: service })).map((r) => r.SpanId).sort()
/** Waits until the collector holds `items` items (buffered or being written): every request sent so far has arrived. */
const queued = (c: RunningCollector, items: number) => vi.waitFor(async () => expect(await metricValue(c.registry, 'cairn_collector_queue_rows')).toBe(items), { timeout: 10_000, interval: 20 })

describe('a request whose rows ClickHouse refuses', () => {
  it('fails alone with a 400; the other requests of its batch are stored and answered 200, and nobody is refused after it', async () => {
    const gated = gatedStorage(h.storage)
    const c = await h.startCollector({ storage: gated.storage, collector: { retryAfterSeconds: 30 } })
    try {
      // Hold the first insert so that the next requests gather into one batch behind it.
      gated.hold()
      const blocker = spansOnDays('iso-blocker', 1)
      const blocked = post(c, blocker.body)
      await queued(c, 1)
      const good = Array.from({ length: 4 }, (_, i) => spansOnDays(`iso-good-${i}`, 3, i * 3))
      const poison = spansOnDays('iso-poison', 150)
      const answers = Promise.all([...good.slice(0, 2), poison, ...good.slice(2)].map((r) => post(c, r.body)))
      // The queue counts items: 1 + 4 × 3 + 150 spans.
      await queued(c, 163)
      gated.release()

      expect((await blocked).status).toBe(200)
      const responses = await answers
      expect(responses.map((r) => r.status)).toEqual([200, 200, 400, 200, 200])
      const refusal = (await responses[2]!.json()) as { code: number; message: string }
      expect(refusal.code).toBe(3) // gRPC INVALID_ARGUMENT: the sender must not retry
      expect(refusal.message).toMatch(/^ClickHouse refused the rows for cairn_ingest_traces: Too many partitions for single INSERT block \(more than 100\)/)
      for (const [i, r] of good.entries()) expect(await stored(`iso-good-${i}`)).toEqual(r.ids)
      expect(await stored('iso-blocker')).toEqual(blocker.ids)
      expect(await stored('iso-poison')).toEqual([])
      // The five requests were first tried as one insert, which ClickHouse refused.
      const traceInserts = gated.inserts.filter((i) => i.table === 'cairn_ingest_traces')
      expect(traceInserts[0]!.ok).toBe(true)
      expect(traceInserts[1]!.ok).toBe(false)
      expect(traceInserts.filter((i) => !i.ok).at(-1)!.bytes).toBeLessThan(traceInserts[1]!.bytes)

      // No back-off: the next senders, of any signal, are stored at once.
      const after = spansOnDays('iso-after', 2)
      expect((await post(c, after.body)).status).toBe(200)
      expect(await stored('iso-after')).toEqual(after.ids)
      const log = { resourceLogs: [{ scopeLogs: [{ logRecords: [{ timeUnixNano: String(BASE_NS), body: { stringValue: 'still accepted' } }] }] }] }
      expect((await post(c, JSON.stringify(log), 'logs')).status).toBe(200)

      expect(await metricValue(c.registry, 'cairn_collector_requests_total', { status: '503' })).toBe(0)
      expect(await metricValue(c.registry, 'cairn_collector_requests_total', { status: '400' })).toBe(1)
      expect(await metricValue(c.registry, 'cairn_collector_storage_refused_requests_total', { table: 'cairn_ingest_traces' })).toBe(1)
      expect(await metricValue(c.registry, 'cairn_collector_items_rejected_total', { reason: 'refused_by_storage' })).toBe(150)
    } finally {
      gated.release()
      await c.stop()
    }
  })

  it('stores requests that are refused only together: each alone fits, their batch does not', async () => {
    const gated = gatedStorage(h.storage)
    const c = await h.startCollector({ storage: gated.storage })
    try {
      gated.hold()
      const blocked = post(c, spansOnDays('pair-blocker', 1).body)
      await queued(c, 1)
      // 60 + 60 distinct days: each request is under the 100-partition limit, the two together are not.
      const a = spansOnDays('pair-a', 60, 0)
      const b = spansOnDays('pair-b', 60, 60)
      const answers = Promise.all([post(c, a.body), post(c, b.body)])
      await queued(c, 121)
      gated.release()
      expect((await blocked).status).toBe(200)
      expect((await answers).map((r) => r.status)).toEqual([200, 200])
      expect(await stored('pair-a')).toEqual(a.ids)
      expect(await stored('pair-b')).toEqual(b.ids)
      expect(gated.inserts.filter((i) => !i.ok)).toHaveLength(1)
    } finally {
      gated.release()
      await c.stop()
    }
  })
})

describe('a remote_write request whose samples ClickHouse refuses', () => {
  const label = (name: string, value: string) => len(1, concat(len(1, name), len(2, value)))
  /** A WriteRequest of one series `name` with one sample on each of `days` days. */
  const writeRequest = (name: string, days: number) =>
    compressSync(len(1, concat(label('__name__', name), label('job', 'rw-iso'), ...Array.from({ length: days }, (_, d) => len(2, concat(double(1, d), uvarint(2, 1_700_000_000_000 + d * 86_400_000)))))))
  const write = (c: RunningCollector, body: Buffer) =>
    fetch(`${c.url}/api/v1/write`, { method: 'POST', headers: { 'content-type': 'application/x-protobuf', 'content-encoding': 'snappy' }, body })

  it('answers 400 in the one JSON error shape (Prometheus drops, never retries it) and keeps accepting', async () => {
    const c = await h.startCollector()
    try {
      const refused = await write(c, writeRequest('rw_iso_poison', 150))
      expect(refused.status).toBe(400)
      expect(await refused.json()).toEqual({ error: { code: expect.any(String), message: expect.stringMatching(/^ClickHouse refused the rows for otel_metrics_gauge: Too many partitions/) } })
      expect((await write(c, writeRequest('rw_iso_good', 3))).status).toBe(204)
      expect(await h.storage.query("SELECT count() AS n FROM otel_metrics_gauge WHERE MetricName = 'rw_iso_good'")).toEqual([{ n: '3' }])
    } finally {
      await c.stop()
    }
  })
})

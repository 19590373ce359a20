// "Acknowledged data is stored data": storage failing, stalling and recovering,
// a full queue, and shutdown with buffered rows. Embedded chDB cannot be taken
// down, so a wrapper around the real Storage fails or stalls insertRaw on command.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import type { RawInsertFormat, Storage } from '../../storage/index.ts'
import { metricValue, openHarness, type Harness } from './harness.ts'

let h: Harness
beforeAll(async () => {
  h = await openHarness()
})
afterAll(async () => {
  await h.close()
})

/** The real storage, with insertRaw that can be made to fail or to hang until released. */
function flakyStorage(real: Storage) {
  const state = { failing: false, stalled: undefined as Promise<void> | undefined, inserts: 0, failEvery: 0 }
  let release: () => void = () => undefined
  const storage = new Proxy(real, {
    get(target, prop, receiver) {
      if (prop !== 'insertRaw') return Reflect.get(target, prop, receiver)
      return async (table: string, format: RawInsertFormat, payload: Buffer) => {
        state.inserts++
        if (state.stalled) await state.stalled
        if (state.failing) throw new Error('Connection refused (storage is down)')
        // The first insert fails too, so that a failure happens however the load batches the requests.
        if (state.failEvery > 0 && (state.inserts - 1) % state.failEvery === 0) throw new Error('transient failure')
        return target.insertRaw(table, format, payload)
      }
    },
  })
  return {
    storage,
    state,
    stall() {
      state.stalled = new Promise((resolve) => (release = resolve))
    },
    resume() {
      state.stalled = undefined
      release()
    },
  }
}

let serial = 0
/** An OTLP/JSON request with `count` spans of `service`; returns the span ids. */
function spans(service: string, count: number): { body: string; ids: string[] } {
  const ids = Array.from({ length: count }, () => (++serial).toString(16).padStart(16, '0'))
  const list = ids.map((spanId) => ({ traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId, name: 'op', startTimeUnixNano: '1714557600000000000', endTimeUnixNano: '1714557600000001000' }))
  return { ids, body: JSON.stringify({ resourceSpans: [{ resource: { attributes: [{ key: 'service.name', value: { stringValue: service } }] }, scopeSpans: [{ spans: list }] }] }) }
}

const post = (url: string, body: string) => fetch(`${url}/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/json' }, body })
const stored = async (service: string) => (await h.storage.query<{ SpanId: string }>('SELECT SpanId FROM otel_traces WHERE ServiceName = {s:String}', { s: service })).map((r) => r.SpanId).sort()

describe('storage down', () => {
  it('answers 503 with Retry-After, buffers nothing, and accepts again once storage is back', async () => {
    const flaky = flakyStorage(h.storage)
    const c = await h.startCollector({ storage: flaky.storage, collector: { retryAfterSeconds: 1 } })
    try {
      flaky.state.failing = true
      const first = await post(c.url, spans('down', 3).body)
      expect(first.status).toBe(503)
      expect(first.headers.get('retry-after')).toBe('1')
      expect(((await first.json()) as { message: string }).message).toContain('storage is down')
      // While storage is known to be failing, new data is refused before it is buffered.
      const inserts = flaky.state.inserts
      const second = await post(c.url, spans('down', 3).body)
      expect(second.status).toBe(503)
      expect(flaky.state.inserts).toBe(inserts)
      expect(await metricValue(c.registry, 'cairn_collector_queue_rows')).toBe(0)

      flaky.state.failing = false
      await new Promise((resolve) => setTimeout(resolve, 1100))
      const retry = spans('down', 3)
      expect((await post(c.url, retry.body)).status).toBe(200)
      expect(await stored('down')).toEqual(retry.ids)
      expect(await metricValue(c.registry, 'cairn_collector_requests_total', { status: '503' })).toBe(2)
    } finally {
      await c.stop()
    }
  })
})

describe('storage slow', () => {
  it('bounds the queue: 429 with Retry-After when full, then everything acknowledged is stored', async () => {
    const flaky = flakyStorage(h.storage)
    const c = await h.startCollector({ storage: flaky.storage, collector: { queueMaxRows: 10, flushIntervalMs: 10, retryAfterSeconds: 2 } })
    try {
      flaky.stall()
      const a = spans('slow', 6)
      const pendingA = post(c.url, a.body)
      await new Promise((resolve) => setTimeout(resolve, 100))
      const b = spans('slow', 6)
      const refused = await post(c.url, b.body)
      expect(refused.status).toBe(429)
      expect(refused.headers.get('retry-after')).toBe('2')
      expect(await metricValue(c.registry, 'cairn_collector_queue_rows')).toBe(6)
      flaky.resume()
      expect((await pendingA).status).toBe(200)
      expect(await stored('slow')).toEqual(a.ids)
      expect(await metricValue(c.registry, 'cairn_collector_queue_rows')).toBe(0)
    } finally {
      await c.stop()
    }
  })

  it('fails a write that outlasts writeTimeoutMs with 503 instead of hanging', async () => {
    const flaky = flakyStorage(h.storage)
    const c = await h.startCollector({ storage: flaky.storage, collector: { writeTimeoutMs: 200, retryAfterSeconds: 1 } })
    try {
      flaky.stall()
      const res = await post(c.url, spans('timeout', 2).body)
      expect(res.status).toBe(503)
      expect(((await res.json()) as { message: string }).message).toContain('did not finish within 200 ms')
      flaky.resume()
    } finally {
      await c.stop()
    }
  })
})

describe('acknowledged data is stored data', () => {
  it('stores every span of every 200 while inserts fail now and then, and senders that retry lose nothing', async () => {
    const flaky = flakyStorage(h.storage)
    flaky.state.failEvery = 3
    const c = await h.startCollector({ storage: flaky.storage, collector: { flushIntervalMs: 5, retryAfterSeconds: 1 } })
    try {
      const requests = Array.from({ length: 20 }, () => spans('acked', 25))
      const statuses: number[] = []
      // Each sender retries after Retry-After, as OTLP exporters do, up to 15 tries.
      await Promise.all(
        requests.map(async (r, i) => {
          await new Promise((resolve) => setTimeout(resolve, i * 20))
          for (let attempt = 0; attempt < 15; attempt++) {
            const res = await post(c.url, r.body)
            statuses.push(res.status)
            if (res.status === 200) return
            expect([429, 503]).toContain(res.status)
            await new Promise((resolve) => setTimeout(resolve, Number(res.headers.get('retry-after')) * 1000))
          }
        }),
      )
      expect(statuses.filter((s) => s === 503).length).toBeGreaterThan(0)
      expect(statuses.filter((s) => s === 200)).toHaveLength(requests.length)
      // Every span exactly once: failed inserts wrote nothing, and every retry was answered 200 once.
      expect(await stored('acked')).toEqual(requests.flatMap((r) => r.ids).sort())
      expect(await metricValue(c.registry, 'cairn_collector_items_accepted_total', { signal: 'traces' })).toBe(500)
    } finally {
      await c.stop()
    }
  })
})

describe('shutdown', () => {
  it('writes buffered rows before stop() resolves, answering their senders 200', async () => {
    // One insert held open, a second request buffered behind it: stop() must write both.
    const flaky = flakyStorage(h.storage)
    const c = await h.startCollector({ storage: flaky.storage })
    flaky.stall()
    const first = spans('shutdown', 5)
    const second = spans('shutdown', 3)
    const pendingFirst = post(c.url, first.body)
    await vi.waitFor(() => expect(flaky.state.inserts).toBe(1))
    const pendingSecond = post(c.url, second.body)
    await new Promise((resolve) => setTimeout(resolve, 100))
    expect(flaky.state.inserts).toBe(1)
    expect(await stored('shutdown')).toEqual([])
    const stopped = c.stop()
    flaky.resume()
    await stopped
    expect((await pendingFirst).status).toBe(200)
    expect((await pendingSecond).status).toBe(200)
    expect(flaky.state.inserts).toBe(2)
    expect(await stored('shutdown')).toEqual([...first.ids, ...second.ids].sort())
    await expect(post(c.url, first.body)).rejects.toThrow()
  })
})

describe('self-metrics', () => {
  it('counts items, bytes, batches and flush latency on the registry', async () => {
    const c = await h.startCollector()
    try {
      const r = spans('metrics', 4)
      expect((await post(c.url, r.body)).status).toBe(200)
      const labels = { signal: 'traces', protocol: 'otlp_json' }
      expect(await metricValue(c.registry, 'cairn_collector_items_received_total', labels)).toBe(4)
      expect(await metricValue(c.registry, 'cairn_collector_items_accepted_total', labels)).toBe(4)
      expect(await metricValue(c.registry, 'cairn_collector_received_bytes_total', labels)).toBe(Buffer.byteLength(r.body))
      expect(await metricValue(c.registry, 'cairn_collector_requests_total', { ...labels, status: '200' })).toBe(1)
      const text = await c.registry.metrics()
      expect(text).toMatch(/^cairn_collector_batch_rows_sum\{table="cairn_ingest_traces"\} 4$/m)
      expect(text).toMatch(/^cairn_collector_flush_duration_seconds_count\{table="cairn_ingest_traces",outcome="ok"\} 1$/m)
      // A lone request: written once its sender stops sending (or, on a slow machine, once the interval passes).
      expect(text).toMatch(/^cairn_collector_flushes_total\{table="cairn_ingest_traces",trigger="(quiet|interval)"\} 1$/m)
      expect(text).toMatch(/^cairn_collector_queue_rows 0$/m)
    } finally {
      await c.stop()
    }
  })
})

describe('retention', () => {
  it('refuses items older than their table keeps, instead of acknowledging rows the TTL drops', async () => {
    const c = await h.startCollector({ retentionDays: { traces: 7, logs: 30, metrics: 30 } })
    try {
      const nowNs = BigInt(Date.now()) * 1_000_000n
      const day = 86_400_000_000_000n
      const span = (spanId: string, startNs: bigint) => ({ traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId, name: 'op', startTimeUnixNano: String(startNs), endTimeUnixNano: String(startNs + 1000n) })
      const body = JSON.stringify({
        resourceSpans: [{ resource: { attributes: [{ key: 'service.name', value: { stringValue: 'retention' } }] }, scopeSpans: [{ spans: [span('00000000000000a1', nowNs - day), span('00000000000000a2', nowNs - 8n * day), span('00000000000000a3', nowNs - 6n * day)] }] }],
      })
      const res = await post(c.url, body)
      expect(res.status).toBe(200)
      expect(await res.json()).toEqual({ partialSuccess: { rejectedSpans: '1', errorMessage: 'span older than the 7-day retention' } })
      expect(await stored('retention')).toEqual(['00000000000000a1', '00000000000000a3'])
      expect(await metricValue(c.registry, 'cairn_collector_items_rejected_total', { signal: 'traces', reason: 'invalid' })).toBe(1)
    } finally {
      await c.stop()
    }
  })
})

describe('future skew', () => {
  const nowNs = () => BigInt(Date.now()) * 1_000_000n
  const minute = 60_000_000_000n
  const span = (spanId: string, startNs: bigint) => ({ traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId, name: 'op', startTimeUnixNano: String(startNs), endTimeUnixNano: String(startNs + 1000n) })
  const spansBody = (service: string, spans: object[]) =>
    JSON.stringify({ resourceSpans: [{ resource: { attributes: [{ key: 'service.name', value: { stringValue: service } }] }, scopeSpans: [{ spans }] }] })

  it('refuses items dated more than maxFutureSkewSeconds (default one hour) ahead, one by one, as partial success', async () => {
    const c = await h.startCollector()
    try {
      const now = nowNs()
      const res = await post(c.url, spansBody('skew', [span('00000000000000b1', now + 30n * minute), span('00000000000000b2', now + 61n * minute), span('00000000000000b3', now + 400n * 1440n * minute)]))
      expect(res.status).toBe(200)
      expect(await res.json()).toEqual({ partialSuccess: { rejectedSpans: '2', errorMessage: "span dated more than 3600 s ahead of the collector's clock" } })
      expect(await stored('skew')).toEqual(['00000000000000b1'])

      const log = (offset: bigint) => ({ timeUnixNano: String(now + offset), body: { stringValue: 'x' } })
      const logs = await fetch(`${c.url}/v1/logs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ resourceLogs: [{ scopeLogs: [{ logRecords: [log(0n), log(90n * minute)] }] }] }) })
      expect(await logs.json()).toEqual({ partialSuccess: { rejectedLogRecords: '1', errorMessage: "log record dated more than 3600 s ahead of the collector's clock" } })
      const point = { timeUnixNano: String(now + 120n * minute), asDouble: 1 }
      const metrics = await fetch(`${c.url}/v1/metrics`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ resourceMetrics: [{ scopeMetrics: [{ metrics: [{ name: 'skew.gauge', gauge: { dataPoints: [point] } }] }] }] }) })
      expect(await metrics.json()).toEqual({ partialSuccess: { rejectedDataPoints: '1', errorMessage: "skew.gauge: point dated more than 3600 s ahead of the collector's clock" } })
      expect(await metricValue(c.registry, 'cairn_collector_items_rejected_total', { reason: 'invalid' })).toBe(4)
    } finally {
      await c.stop()
    }
  })

  it('takes its limit from collector.maxFutureSkewSeconds; 0 accepts any future time', async () => {
    const strict = await h.startCollector({ collector: { maxFutureSkewSeconds: 60 } })
    const open = await h.startCollector({ collector: { maxFutureSkewSeconds: 0 } })
    try {
      const now = nowNs()
      const refused = await post(strict.url, spansBody('skew-strict', [span('00000000000000c1', now + 2n * minute)]))
      expect(await refused.json()).toEqual({ partialSuccess: { rejectedSpans: '1', errorMessage: "span dated more than 60 s ahead of the collector's clock" } })
      const accepted = await post(open.url, spansBody('skew-open', [span('00000000000000c2', now + 400n * 1440n * minute)]))
      expect(await accepted.json()).toEqual({})
      expect(await stored('skew-open')).toEqual(['00000000000000c2'])
    } finally {
      await strict.stop()
      await open.stop()
    }
  })
})

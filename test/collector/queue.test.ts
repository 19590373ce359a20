// The durable ingest queue on the embedded engine: acknowledged once on disk,
// inserted from there; requests ClickHouse would refuse are refused before the
// ack; a lost insert answer is retried without storing twice (ClickHouse's own
// token deduplication); rows refused after the ack go to the dead-letter
// directory; the disk bound turns into 429/503; metrics report the depth.
import { mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { StorageUnavailableError, type FileRange, type RowBinaryFormat, type Storage } from '../../storage/index.ts'
import type { ClickHouseSettings } from '@clickhouse/client'
import { metricValue, openHarness, type Harness, type RunningCollector } from './harness.ts'
import { tempDir } from '../support/temp.ts'
import { INGEST_TABLES } from '../../collector/index.ts'
import { Segment } from '../../collector/queue/segment.ts'
import { decodeOtlpBody } from '../../collector/otlp/decode-body.ts'

let h: Harness
const dirs: { remove(): void }[] = []
beforeAll(async () => {
  h = await openHarness()
})
afterAll(async () => {
  await h.close()
  for (const d of dirs) d.remove()
})

function queueDir(): string {
  const d = tempDir('cairn-queue-')
  dirs.push(d)
  return d.path
}

const DAY_NS = 86_400_000_000_000n
const BASE_NS = 1_700_000_000_000_000_000n
let serial = 0

/** An OTLP/JSON request of `service` with `count` spans spread over `days` consecutive days from `firstDay`. */
function spans(service: string, count: number, days = 1, firstDay = 0): { body: string; ids: string[] } {
  const list = Array.from({ length: count }, (_, i) => {
    const start = BASE_NS + BigInt(firstDay + (i % days)) * DAY_NS + BigInt(i)
    return { traceId: '5bf92f3577b34da6a3ce929d0e0e4736', spanId: (++serial).toString(16).padStart(16, '0'), name: 'op', startTimeUnixNano: String(start), endTimeUnixNano: String(start + 1000n) }
  })
  const body = JSON.stringify({ resourceSpans: [{ resource: { attributes: [{ key: 'service.name', value: { stringValue: service } }] }, scopeSpans: [{ spans: list }] }] })
  return { body, ids: list.map((s) => s.spanId).sort() }
}

const post = (c: RunningCollector, body: string) => fetch(`${c.url}/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/json' }, body })
const stored = async (service: string) => (await h.storage.query<{ SpanId: string }>('SELECT SpanId FROM otel_traces WHERE ServiceName = {s:String} ORDER BY SpanId', { s: service })).map((r) => r.SpanId)
const drained = (c: RunningCollector) => vi.waitFor(async () => expect(await metricValue(c.registry, 'cairn_collector_queue_rows')).toBe(0), { timeout: 15_000, interval: 50 })

/** The real storage, whose queue inserts can be made to fail before or after ClickHouse stored the rows. */
function flakyFileInserts(real: Storage) {
  const state = { failBefore: false, loseAnswers: 0, inserts: [] as { token: string; ok: boolean; lost?: boolean }[] }
  const storage = new Proxy(real, {
    get(target, prop, receiver) {
      if (prop !== 'insertRawFile') return Reflect.get(target, prop, receiver)
      return async (table: string, format: RowBinaryFormat, file: FileRange, settings: ClickHouseSettings) => {
        const token = String(settings.insert_deduplication_token)
        if (state.failBefore) {
          state.inserts.push({ token, ok: false })
          throw new StorageUnavailableError('Connection refused (storage is down)')
        }
        await target.insertRawFile(table, format, file, settings)
        // The insert went through but its answer is lost (a timeout, a dropped connection).
        if (state.loseAnswers > 0) {
          state.loseAnswers--
          state.inserts.push({ token, ok: false, lost: true })
          throw new StorageUnavailableError('socket hang up')
        }
        state.inserts.push({ token, ok: true })
      }
    },
  })
  return { storage, state }
}

describe('the durable queue', () => {
  it('acknowledges once on disk, inserts in batches, and empties itself', async () => {
    const dir = queueDir()
    const c = await h.startCollector({ collector: { queue: { dir }, flushIntervalMs: 100 } })
    try {
      const requests = Array.from({ length: 20 }, () => spans('q-basic', 50))
      const answers = await Promise.all(requests.map((r) => post(c, r.body)))
      expect(answers.map((a) => a.status)).toEqual(requests.map(() => 200))
      await drained(c)
      expect(await stored('q-basic')).toEqual(requests.flatMap((r) => r.ids).sort())
      // Fewer inserts than requests: the segments gathered many of them.
      const inserts = await metricValue(c.registry, 'cairn_collector_flushes_total', { table: 'cairn_ingest_traces' })
      expect(inserts).toBeGreaterThan(0)
      expect(inserts).toBeLessThan(20)
      expect(readdirSync(dir).filter((f) => f.endsWith('.rows'))).toEqual([])
    } finally {
      await c.stop()
    }
  })

  it('refuses, before acknowledging, a request on more days than one insert may touch; stores requests that only together exceed it', async () => {
    const c = await h.startCollector({ collector: { queue: { dir: queueDir() }, flushIntervalMs: 2000 } })
    try {
      const poison = spans('q-poison', 150, 150)
      const a = spans('q-60a', 60, 60)
      const b = spans('q-60b', 60, 60, 60)
      const [pa, aa, ba] = await Promise.all([post(c, poison.body), post(c, a.body), post(c, b.body)])
      expect(pa.status).toBe(400)
      const refusal = (await pa.json()) as { code: number; message: string }
      expect(refusal.code).toBe(3)
      expect(refusal.message).toMatch(/150 distinct days; ClickHouse takes at most 100 partitions/)
      expect([aa.status, ba.status]).toEqual([200, 200])
      await drained(c)
      expect(await stored('q-poison')).toEqual([])
      expect(await stored('q-60a')).toEqual(a.ids)
      expect(await stored('q-60b')).toEqual(b.ids)
      // The second 60-day request sealed the first one's segment instead of joining it: no insert was refused.
      expect(await metricValue(c.registry, 'cairn_collector_flushes_total', { trigger: 'partitions' })).toBe(1)
      expect(await metricValue(c.registry, 'cairn_collector_flushes_total', { table: 'cairn_ingest_traces' })).toBe(2)
      expect(await metricValue(c.registry, 'cairn_collector_queue_dead_letter_rows_total')).toBe(0)
      expect(await metricValue(c.registry, 'cairn_collector_storage_refused_requests_total', { table: 'cairn_ingest_traces' })).toBe(1)
    } finally {
      await c.stop()
    }
  })

  it('absorbs a storage outage with no sender error, and stores each row once when an insert answer was lost', async () => {
    const flaky = flakyFileInserts(h.storage)
    const c = await h.startCollector({ storage: flaky.storage, collector: { queue: { dir: queueDir(), backlogSeconds: 1 }, flushIntervalMs: 50, retryAfterSeconds: 1 } })
    try {
      flaky.state.failBefore = true
      const during = Array.from({ length: 10 }, () => spans('q-outage', 30))
      expect((await Promise.all(during.map((r) => post(c, r.body)))).map((a) => a.status)).toEqual(during.map(() => 200))
      await vi.waitFor(() => expect(flaky.state.inserts.length).toBeGreaterThan(1), { timeout: 10_000 })
      expect(await metricValue(c.registry, 'cairn_collector_queue_rows')).toBe(300)
      // Backing up, said with the reason, but still ready: it takes data.
      await vi.waitFor(() => expect(c.collector.queue()?.health).toEqual({ state: 'backing_up', reason: expect.stringMatching(/the oldest queued rows have waited \d+ s for their insert \(Connection refused/) }), { timeout: 5_000 })
      // Storage comes back, but the answer to the first insert is lost: it is retried with the same token.
      flaky.state.loseAnswers = 1
      flaky.state.failBefore = false
      await drained(c)
      expect(await stored('q-outage')).toEqual(during.flatMap((r) => r.ids).sort())
      // The insert whose answer was lost had stored its rows; its retry (same token) stored nothing more.
      const lost = flaky.state.inserts.find((i) => i.lost)
      expect(lost).toBeDefined()
      expect(flaky.state.inserts.filter((i) => i.token === lost!.token && i.ok)).toHaveLength(1)
      expect(await metricValue(c.registry, 'cairn_collector_requests_total', { status: '503' })).toBe(0)
    } finally {
      await c.stop()
    }
  })

  it('refuses with 503 and Retry-After past its disk bound while storage is down, then stores everything it acknowledged', async () => {
    const flaky = flakyFileInserts(h.storage)
    const c = await h.startCollector({ storage: flaky.storage, collector: { queue: { dir: queueDir(), maxBytes: 20_000 }, flushIntervalMs: 50, retryAfterSeconds: 1 } })
    try {
      flaky.state.failBefore = true
      const statuses: number[] = []
      const acknowledged: string[] = []
      let refusal: Response | undefined
      for (let i = 0; i < 40 && !refusal; i++) {
        const r = spans('q-bound', 20)
        const answer = await post(c, r.body)
        statuses.push(answer.status)
        if (answer.status === 200) acknowledged.push(...r.ids)
        else refusal = answer
        if (i === 0) await vi.waitFor(() => expect(flaky.state.inserts.length).toBeGreaterThan(0), { timeout: 5_000 })
      }
      expect(refusal?.status).toBe(503)
      expect(refusal?.headers.get('retry-after')).toBe('1')
      expect(((await refusal!.json()) as { message: string }).message).toMatch(/the ingest queue is full .*storage is unavailable/)
      expect(await metricValue(c.registry, 'cairn_collector_queue_bytes')).toBeLessThanOrEqual(20_000)
      flaky.state.failBefore = false
      await drained(c)
      expect(await stored('q-bound')).toEqual(acknowledged.sort())
    } finally {
      await c.stop()
    }
  })

  it('answers 503 when its disk refuses a write, and accepts again once it can write', async () => {
    const dir = queueDir()
    const c = await h.startCollector({ collector: { queue: { dir }, flushIntervalMs: 50 } })
    try {
      rmSync(dir, { recursive: true })
      const lost = await post(c, spans('q-disk', 3).body)
      expect(lost.status).toBe(503)
      expect(lost.headers.get('retry-after')).toBeTruthy()
      expect(((await lost.json()) as { message: string }).message).toMatch(/^the ingest queue cannot write to its disk \(ENOENT/)
      mkdirSync(dir)
      const r = spans('q-disk', 3)
      expect((await post(c, r.body)).status).toBe(200)
      await drained(c)
      expect(await stored('q-disk')).toEqual(r.ids)
    } finally {
      await c.stop()
    }
  })

  it('reports depth and age on /metrics', async () => {
    const c = await h.startCollector({ collector: { queue: { dir: queueDir() }, flushIntervalMs: 60_000, batchMaxRows: 1_000_000 } })
    try {
      const r = spans('q-metrics', 5)
      expect((await post(c, r.body)).status).toBe(200)
      expect(await metricValue(c.registry, 'cairn_collector_queue_rows')).toBe(5)
      expect(await metricValue(c.registry, 'cairn_collector_queue_requests')).toBe(1)
      expect(await metricValue(c.registry, 'cairn_collector_queue_segments')).toBe(1)
      expect(await metricValue(c.registry, 'cairn_collector_queue_bytes')).toBeGreaterThan(0)
      await new Promise((resolve) => setTimeout(resolve, 1100))
      expect(await metricValue(c.registry, 'cairn_collector_queue_oldest_age_seconds')).toBeGreaterThanOrEqual(1)
      expect(c.collector.queue()?.health.state).toBe('ok')
    } finally {
      // A graceful stop inserts what is queued.
      await c.stop()
    }
    expect(await stored('q-metrics')).toHaveLength(5)
  })

  it('sets aside rows ClickHouse refuses after the ack in the dead-letter directory, with a metric, and stores the rest', async () => {
    const dir = queueDir()
    // A segment left by an earlier process: two good requests around one whose bytes are not valid rows.
    const good = [spans('q-dead', 5), spans('q-dead', 7)]
    const segment = Segment.create(dir, INGEST_TABLES.traces)
    const rowsOf = (body: string) => decodeOtlpBody('traces', 'json', [Buffer.from(body)], {}).tables.get(INGEST_TABLES.traces)!
    const a = rowsOf(good[0]!.body)
    segment.append(a.view(), a.rows, [])
    segment.append(Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f, 1, 2, 3]), 1, [])
    const b = rowsOf(good[1]!.body)
    segment.append(b.view(), b.rows, [])
    await segment.sync()
    segment.close()

    const c = await h.startCollector({ collector: { queue: { dir } } })
    try {
      await drained(c)
      expect(await stored('q-dead')).toEqual([...good[0]!.ids, ...good[1]!.ids].sort())
      expect(await metricValue(c.registry, 'cairn_collector_queue_dead_letter_rows_total', { table: INGEST_TABLES.traces })).toBe(1)
      const dead = readdirSync(join(dir, 'dead-letter'))
      expect(dead.sort()).toEqual([`${segment.name}.1-1.json`, `${segment.name}.1-1.rows`])
      const note = JSON.parse(readFileSync(join(dir, 'dead-letter', `${segment.name}.1-1.json`), 'utf8')) as { table: string; rows: number; reason: string }
      expect(note).toMatchObject({ table: INGEST_TABLES.traces, rows: 1 })
      expect(note.reason.length).toBeGreaterThan(0)
      expect(readFileSync(join(dir, 'dead-letter', `${segment.name}.1-1.rows`))).toEqual(Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f, 1, 2, 3]))
      expect(readdirSync(dir).filter((f) => f.startsWith(INGEST_TABLES.traces))).toEqual([])
    } finally {
      await c.stop()
    }
  })
})

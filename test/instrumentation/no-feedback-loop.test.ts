import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { startService, type RunningService } from '../../cli/index.ts'
import { configSchema } from '../../config/index.ts'
import { OTEL_TABLES } from '../../storage/index.ts'
import { createLogger } from '../../instrumentation/index.ts'
import { tempDir } from '../support/temp.ts'

// `cairn serve` in this process, tracing itself into its own collector: the
// export requests that carry its spans reach the collector (its metrics count
// them) but produce no span of their own, so nothing loops.

const dir = tempDir()
let service: RunningService
let api: string
let otlp: string

beforeAll(async () => {
  const config = configSchema.parse({
    host: '127.0.0.1',
    logLevel: 'silent',
    storage: { dataDir: join(dir.path, 'data') },
    collector: { port: 0 },
    api: { port: 0 },
    engine: { sloDir: join(dir.path, 'no-slos') },
  })
  service = await startService(config, ['collector', 'engine', 'api'], createLogger('silent'), { traceExportDelayMs: 100, env: {} })
  api = `http://127.0.0.1:${service.apiPort}`
  otlp = `http://127.0.0.1:${service.otlpPort}`
})

afterAll(async () => {
  await service?.stop()
  dir.remove()
})

// Read from the registry, not GET /metrics: that request would be traced too.
const metric = async (name: string, labels: string) => {
  const text = await service.registry.metrics()
  const line = text.split('\n').find((l) => (l.startsWith(`${name}{`) || l.startsWith(`${name} `)) && l.includes(labels))
  return line === undefined ? 0 : Number(line.split(' ').pop())
}
const selfExports = () => metric('cairn_collector_requests_total', 'signal="traces",protocol="otlp_json",status="200"')
const spansExported = () => metric('cairn_self_spans_exported_total', 'outcome="ok"')

async function storedSpans(): Promise<{ component: string; path: string; status: string }[]> {
  return service.storage.query(
    `SELECT SpanAttributes['cairn.component'] AS component, SpanAttributes['url.path'] AS path, SpanAttributes['http.response.status_code'] AS status
     FROM ${OTEL_TABLES.traces} WHERE ServiceName = 'cairn' ORDER BY Timestamp`,
  )
}

describe('self-traces into its own collector', () => {
  it('stores a span per API and collector request and none for its own exports', async () => {
    // Two rounds, each exported on its own: the second export carries the spans made while the first was answered.
    for (let round = 1; round <= 2; round++) {
      for (let i = 0; i < 3; i++) expect((await fetch(`${api}/api/v1/slos`)).status).toBe(200)
      const sent = await fetch(`${otlp}/v1/logs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"resourceLogs":[]}' })
      expect(sent.status).toBe(200)
      await vi.waitFor(async () => expect(await selfExports()).toBeGreaterThanOrEqual(round), { timeout: 15_000, interval: 50 })
    }
    const exported = await vi.waitFor(
      async () => {
        const n = await spansExported()
        // Every span handed to the exporter is stored: the 200 comes after the write.
        expect((await storedSpans()).length).toBe(n)
        expect(n).toBeGreaterThanOrEqual(8)
        return n
      },
      { timeout: 15_000, interval: 100 },
    )
    // Several more export intervals without new requests: nothing is exported, so nothing grows.
    await new Promise((r) => setTimeout(r, 1_000))
    const spans = await storedSpans()
    expect(spans.length).toBe(exported)
    expect(spans.filter((s) => s.path === '/v1/traces')).toEqual([])
    expect(spans.filter((s) => s.component === 'collector')).toEqual([
      { component: 'collector', path: '/v1/logs', status: '200' },
      { component: 'collector', path: '/v1/logs', status: '200' },
    ])
    expect(spans.filter((s) => s.path === '/api/v1/slos')).toHaveLength(6)
    expect(await selfExports()).toBeGreaterThanOrEqual(2)
    // Nothing recorded was dropped or left behind.
    expect(await metric('cairn_self_spans_recorded_total', '')).toBe(exported)
  })
})

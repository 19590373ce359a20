// kill -9 of `cairn serve` under load: senders record which requests were
// acknowledged; after a restart every acknowledged span is stored, and no span
// is stored twice (the restart replays the queue with the same insert tokens).
import { describe, expect, it } from 'vitest'
import { configSchema } from '../../config/index.ts'
import { openStorage } from '../../storage/index.ts'
import { startCairn, type CairnServer } from '../support/cairn-process.ts'
import { tempDir } from '../support/temp.ts'

let serial = 0
function request(sender: number): { body: string; ids: string[] } {
  const now = BigInt(Date.now()) * 1_000_000n
  const spans = Array.from({ length: 200 }, (_, i) => {
    const spanId = (sender * 0x1_0000_0000 + ++serial).toString(16).padStart(16, '0')
    return { traceId: '6bf92f3577b34da6a3ce929d0e0e4736', spanId, name: 'crash-op', startTimeUnixNano: String(now + BigInt(i)), endTimeUnixNano: String(now + BigInt(i) + 1000n) }
  })
  const body = JSON.stringify({ resourceSpans: [{ resource: { attributes: [{ key: 'service.name', value: { stringValue: 'crash' } }] }, scopeSpans: [{ spans }] }] })
  return { body, ids: spans.map((s) => s.spanId) }
}

/** Senders that post until stopped, each waiting for its answer, recording the spans of every 200. */
function load(url: string, senders: number) {
  const acknowledged: string[] = []
  const sent: string[] = []
  let running = true
  let answered = 0
  const loops = Array.from({ length: senders }, async (_, sender) => {
    while (running) {
      const r = request(sender)
      sent.push(...r.ids)
      try {
        const res = await fetch(`${url}/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: r.body })
        await res.arrayBuffer()
        if (res.status === 200) acknowledged.push(...r.ids)
        answered++
      } catch {
        // The process was killed: this request was not acknowledged.
        return
      }
    }
  })
  return { acknowledged, sent, answered: () => answered, stop: async () => ((running = false), await Promise.all(loops)) }
}

describe('kill -9 under load', () => {
  it('loses nothing acknowledged and stores nothing twice after a restart', { timeout: 180_000 }, async () => {
    const dir = tempDir('cairn-crash-')
    const env = { CAIRN_DATA_DIR: dir.path, CAIRN_SELF_TRACES: 'off', CAIRN_LOG_LEVEL: 'info' }
    let second: CairnServer | undefined
    try {
      const first = await startCairn(env)
      const senders = load(first.otlpUrl, 8)
      // Long enough for several segments to be inserted, and some to be mid-insert or still open.
      const until = Date.now() + 4000
      while (Date.now() < until || senders.answered() < 40) await new Promise((r) => setTimeout(r, 50))
      first.child.kill('SIGKILL')
      await senders.stop()
      await first.stop()
      expect(senders.acknowledged.length).toBeGreaterThan(0)

      second = await startCairn(env)
      // The restart found rows the killed process had acknowledged but not inserted.
      expect(second.output()).toMatch(/replaying rows queued by an earlier process/)
      for (;;) {
        const ready = (await (await fetch(`${second.apiUrl}/readyz`)).json()) as { collector?: { queue?: { rows: number } } }
        if (ready.collector?.queue?.rows === 0) break
        await new Promise((r) => setTimeout(r, 200))
      }
      expect(await second.stop()).toBe(0)
      second = undefined

      const storage = await openStorage(configSchema.parse({ storage: { dataDir: dir.path } }).storage)
      try {
        const rows = await storage.query<{ SpanId: string; n: string }>("SELECT SpanId, count() AS n FROM otel_traces WHERE ServiceName = 'crash' GROUP BY SpanId")
        const counts = new Map(rows.map((r) => [r.SpanId, Number(r.n)]))
        const missing = senders.acknowledged.filter((id) => !counts.has(id))
        const twice = rows.filter((r) => Number(r.n) > 1)
        expect(missing).toEqual([])
        expect(twice).toEqual([])
        // Nothing stored that was never sent.
        const sent = new Set(senders.sent)
        expect(rows.filter((r) => !sent.has(r.SpanId))).toEqual([])
      } finally {
        await storage.close()
      }
    } finally {
      await second?.stop()
      dir.remove()
    }
  })
})

import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { Batcher, type BatcherConfig, type FlushTrigger } from '../../collector/batcher.ts'

// When the batcher writes: the scheduling policy alone, with a write function
// that records what it is given (the storage side is tested end to end in the
// other collector tests). Fake clocks make the times exact.

const CONFIG: BatcherConfig = {
  batchMaxRows: 10_000,
  batchMaxBytes: 1 << 20,
  flushIntervalMs: 200,
  queueMaxRows: 100_000,
  queueMaxBytes: 1 << 24,
  retryAfterSeconds: 1,
  writeTimeoutMs: 10_000,
}

function recorder() {
  const writes: { atMs: number; rows: number }[] = []
  const triggers: FlushTrigger[] = []
  const start = Date.now()
  const batcher = new Batcher(
    CONFIG,
    async (_table, _payload, rows) => {
      writes.push({ atMs: Date.now() - start, rows })
    },
    { queueChanged: () => undefined, flushed: () => undefined, flushStarted: (_table, trigger) => triggers.push(trigger) },
  )
  const send = (rows: number) => void batcher.submit([{ table: 't', rows, bytes: Buffer.alloc(rows) }])
  return { writes, triggers, send, batcher }
}

describe('batcher scheduling', () => {
  beforeEach(() => vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date', 'performance'] }))
  afterEach(() => vi.useRealTimers())

  it('writes a steady trickle once per flush interval, not once per request', async () => {
    const { writes, triggers, send } = recorder()
    for (let i = 0; i < 40; i++) {
      send(10)
      await vi.advanceTimersByTimeAsync(10)
    }
    await vi.advanceTimersByTimeAsync(200)
    // The first request has nothing to go by and is written alone; then one insert per 200 ms.
    const rows = writes.map((w) => w.rows)
    expect(rows[0]).toBe(10)
    expect(rows.reduce((a, b) => a + b)).toBe(400)
    expect(rows.length).toBeLessThanOrEqual(4)
    for (const r of rows.slice(1, -1)) expect(r).toBeGreaterThanOrEqual(190)
    expect(writes[1]!.atMs).toBeGreaterThanOrEqual(200)
    expect(triggers[0]).toBe('quiet')
    expect(triggers.slice(1, -1).every((t) => t === 'interval')).toBe(true)
  })

  it('writes as soon as a burst of requests stops, without waiting out the interval', async () => {
    const { writes, triggers, send } = recorder()
    for (let i = 0; i < 16; i++) {
      send(512)
      await vi.advanceTimersByTimeAsync(1)
    }
    await vi.advanceTimersByTimeAsync(10)
    expect(writes).toHaveLength(1)
    expect(writes[0]!.rows).toBe(16 * 512)
    expect(writes[0]!.atMs).toBeLessThan(20)
    expect(triggers).toEqual(['quiet'])
  })

  it('a lone request waits only the short quiet period', async () => {
    const { writes, send } = recorder()
    send(5)
    await vi.advanceTimersByTimeAsync(5)
    expect(writes).toEqual([{ atMs: 2, rows: 5 }])
  })

  it('writes a full buffer at once', async () => {
    const { writes, triggers, send } = recorder()
    send(CONFIG.batchMaxRows)
    await vi.advanceTimersByTimeAsync(0)
    expect(writes).toEqual([{ atMs: 0, rows: CONFIG.batchMaxRows }])
    expect(triggers).toEqual(['full'])
  })

  it('writes what is buffered on close, whatever the timers say', async () => {
    const { writes, triggers, send, batcher } = recorder()
    send(7)
    const closed = batcher.close()
    await vi.advanceTimersByTimeAsync(0)
    await closed
    expect(writes).toEqual([{ atMs: 0, rows: 7 }])
    expect(triggers).toEqual(['shutdown'])
  })
})

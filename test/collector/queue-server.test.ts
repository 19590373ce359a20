// The durable queue in server mode: two `cairn collector` processes, each with
// its own queue directory, against one ClickHouse server (the shim, behind a
// TCP proxy). The server goes away: senders keep getting 200, /readyz and
// /metrics say the queue is backing up, and once the server is back every
// acknowledged record is stored once. A third collector past its disk bound
// refuses with 503 and is not ready.
import { readFileSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startClickHouseShim, type ClickHouseShim } from '../support/clickhouse-http-shim.ts'
import { startCairn, type CairnServer } from '../support/cairn-process.ts'
import { tempDir } from '../support/temp.ts'
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy.ts'

const dir = tempDir('cairn-queue-server-')
let shim: ClickHouseShim
let proxy: TcpProxy
let port: number
const collectors: CairnServer[] = []

beforeAll(async () => {
  shim = await startClickHouseShim({ dataDir: `${dir.path}/ch` })
  proxy = await startTcpProxy(shim.url)
  port = Number(new URL(proxy.url).port)
}, 60_000)
afterAll(async () => {
  for (const c of collectors) await c.stop()
  await proxy.stop()
  await shim.close()
  dir.remove()
})

function collectorEnv(name: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    CAIRN_CLICKHOUSE_URL: proxy.url,
    CAIRN_CLICKHOUSE_DATABASE: 'otel',
    CAIRN_DATA_DIR: `${dir.path}/${name}`,
    CAIRN_SELF_TRACES: 'off',
    CAIRN_TTL_LOGS_DAYS: '0',
    ...extra,
  }
}

let serial = 0
function logs(service: string, count: number): { body: string; lines: string[] } {
  const lines = Array.from({ length: count }, () => `line ${++serial}`)
  const logRecords = lines.map((line) => ({ timeUnixNano: String(BigInt(Date.now()) * 1_000_000n), body: { stringValue: line } }))
  return { lines, body: JSON.stringify({ resourceLogs: [{ resource: { attributes: [{ key: 'service.name', value: { stringValue: service } }] }, scopeLogs: [{ logRecords }] }] }) }
}
const post = (c: CairnServer, body: string) => fetch(`${c.otlpUrl}/v1/logs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body })
const readyz = async (c: CairnServer) => {
  const res = await fetch(`${c.apiUrl}/readyz`)
  return { status: res.status, body: (await res.json()) as { error?: { message: string }; collector: { queue: { state: string; rows: number; reason?: string } } } }
}
/** A metric's value on the process's /metrics, summed over its series. */
const metric = async (c: CairnServer, name: string) => {
  const text = await (await fetch(`${c.apiUrl}/metrics`)).text()
  return [...text.matchAll(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'gm'))].reduce((n, m) => n + Number(m[1]), 0)
}
const storedCounts = async (service: string) => {
  const text = await shim.query(`SELECT Body, count() FROM otel_logs WHERE ServiceName = '${service}' GROUP BY Body FORMAT TabSeparated`, 'otel')
  return new Map(text.trim().split('\n').filter(Boolean).map((l) => l.split('\t') as [string, string]).map(([b, n]) => [b, Number(n)]))
}
const until = async (check: () => Promise<boolean>, timeoutMs = 30_000) => {
  const end = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() > end) throw new Error('timed out')
    await new Promise((r) => setTimeout(r, 100))
  }
}

describe('collectors with their own queues on a ClickHouse server', () => {
  it('absorb an outage with no sender error, say so on /readyz and /metrics, and store every acknowledged record once after it', { timeout: 150_000 }, async () => {
    const a = await startCairn(collectorEnv('a'), 'collector')
    collectors.push(a)
    const b = await startCairn(collectorEnv('b'), 'collector')
    collectors.push(b)
    // On a ClickHouse server a process never loads the embedded engine's library (about 140 MiB).
    if (process.platform === 'linux') expect(readFileSync(`/proc/${a.child.pid}/maps`, 'utf8')).not.toContain('libchdb')
    const acknowledged: string[] = []
    const send = async (c: CairnServer) => {
      const r = logs('outage', 25)
      const res = await post(c, r.body)
      expect(res.status).toBe(200)
      acknowledged.push(...r.lines)
    }
    for (let i = 0; i < 5; i++) await Promise.all([send(a), send(b)])

    await proxy.stop()
    for (let i = 0; i < 10; i++) await Promise.all([send(a), send(b)])
    // Both queues hold rows they cannot insert; the oldest wait grows.
    await until(async () => (await metric(a, 'cairn_collector_queue_oldest_age_seconds')) >= 2 && (await metric(b, 'cairn_collector_queue_rows')) > 0)
    expect(await metric(a, 'cairn_collector_queue_requests')).toBeGreaterThan(0)
    const during = await readyz(a)
    expect(during.status).toBe(503)
    expect(during.body.collector.queue.rows).toBeGreaterThan(0)
    expect(await metric(a, 'cairn_collector_queue_bytes')).toBeGreaterThan(0)

    proxy = await startTcpProxy(shim.url, port)
    await until(async () => (await metric(a, 'cairn_collector_queue_rows')) === 0 && (await metric(b, 'cairn_collector_queue_rows')) === 0)
    const counts = await storedCounts('outage')
    expect(acknowledged.filter((l) => counts.get(l) !== 1)).toEqual([])
    expect(counts.size).toBe(acknowledged.length)
    expect((await readyz(a)).body.collector.queue).toMatchObject({ state: 'ok', rows: 0 })
  })

  it('refuses with 503 past its disk bound, is not ready meanwhile, and is ready again once the queue drains', { timeout: 150_000 }, async () => {
    const c = await startCairn(collectorEnv('c', { CAIRN_COLLECTOR_QUEUE_MAX_BYTES: '40000' }), 'collector')
    collectors.push(c)
    await proxy.stop()
    const acknowledged: string[] = []
    const first = logs('bound', 25)
    expect((await post(c, first.body)).status).toBe(200)
    acknowledged.push(...first.lines)
    // Storage has failed an insert: from now on a full queue means storage is down (503), not slow (429).
    await until(async () => (await metric(c, 'cairn_collector_flush_duration_seconds_count')) > 0)
    let refused: Response | undefined
    for (let i = 0; i < 100 && !refused; i++) {
      const r = logs('bound', 25)
      const res = await post(c, r.body)
      if (res.status === 200) acknowledged.push(...r.lines)
      else refused = res
    }
    expect(refused?.status).toBe(503)
    expect(refused?.headers.get('retry-after')).toBeTruthy()
    const notReady = await readyz(c)
    expect(notReady.status).toBe(503)
    expect(notReady.body.collector.queue.state).toBe('full')
    expect(notReady.body.error?.message).toMatch(/the ingest queue holds \d+ bytes/)

    proxy = await startTcpProxy(shim.url, port)
    await until(async () => (await readyz(c)).status === 200)
    const counts = await storedCounts('bound')
    expect(acknowledged.filter((l) => counts.get(l) !== 1)).toEqual([])
    expect(counts.size).toBe(acknowledged.length)
  })

  it('refuses to share a queue directory with another running collector', { timeout: 60_000 }, async () => {
    const shared = `${dir.path}/a/wal`
    await expect(startCairn(collectorEnv('d', { CAIRN_COLLECTOR_QUEUE_DIR: shared }), 'collector', 30_000)).rejects.toThrow(/is in use by process \d+: give each collector its own/)
  })
})

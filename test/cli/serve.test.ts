import { execFileSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { afterAll, describe, expect, it } from 'vitest'
import { runCairn, startCairn } from '../support/cairn-process.ts'
import { freePort } from '../support/ports.ts'
import { tempDir } from '../support/temp.ts'

const dir = tempDir()
afterAll(() => dir.remove())

const probe = fileURLToPath(new URL('../fixtures/storage-probe.ts', import.meta.url))
const runProbe = (...args: string[]) => execFileSync(process.execPath, ['--import', 'tsx', probe, ...args], { encoding: 'utf8' })

const OLD_SPAN = JSON.stringify({
  resourceSpans: [{ scopeSpans: [{ spans: [{ traceId: '5b8efff798038103d269b633813fc60c', spanId: 'eee19b7ec3c1b174', name: 'old', kind: 2, startTimeUnixNano: '1544712660000000000', endTimeUnixNano: '1544712661000000000' }] }] }],
})

describe('cairn serve on the embedded store', () => {
  it('becomes ready, serves health and metrics, and stops cleanly on SIGTERM', async () => {
    const started = Date.now()
    const cairn = await startCairn({ CAIRN_DATA_DIR: dir.path })
    try {
      const ready = await fetch(`${cairn.apiUrl}/readyz`)
      expect(ready.status).toBe(200)
      // The engine's backfill progress rides along (no SLOs here: nothing pending), and the collector's queue
      // (which cairn's own traces may be passing through).
      const body = (await ready.json()) as { collector: { queue: { state: string } } }
      expect(body).toMatchObject({ status: 'ready', engine: { backfill: { pendingSlos: 0, remainingSeconds: 0 } } })
      expect(body.collector.queue).toMatchObject({ state: 'ok', rows: expect.any(Number), requests: expect.any(Number), bytes: expect.any(Number), oldestAgeSeconds: expect.any(Number) })
      expect(Date.now() - started).toBeLessThan(30_000)
      expect(await (await fetch(`${cairn.apiUrl}/healthz`)).json()).toEqual({ status: 'ok' })
      const metrics = await fetch(`${cairn.apiUrl}/metrics`)
      expect(metrics.headers.get('content-type')).toMatch(/^text\/plain/)
      const text = await metrics.text()
      expect(text).toMatch(/^cairn_process_resident_memory_bytes \d+/m)
      expect(text).toContain('cairn_engine_ticks_total')
      // A span from 2018: older than the 30-day default retention, so refused, not acknowledged and lost.
      const old = await fetch(`${cairn.otlpUrl}/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: OLD_SPAN })
      expect(await old.json()).toEqual({ partialSuccess: { rejectedSpans: '1', errorMessage: 'span older than the 30-day retention' } })
      for (const line of cairn.output().trim().split('\n')) expect(() => JSON.parse(line)).not.toThrow()
    } finally {
      expect(await cairn.stop()).toBe(0)
    }
    expect(cairn.output()).toContain('"msg":"stopped"')
  })

  it('keeps data written by one process for the next', async () => {
    runProbe('write', dir.path, 'first')
    const cairn = await startCairn({ CAIRN_DATA_DIR: dir.path })
    expect(await cairn.stop()).toBe(0)
    runProbe('write', dir.path, 'second')
    expect(JSON.parse(runProbe('read', dir.path))).toEqual(['first', 'second'])
  })
})

describe('cairn start-up errors', () => {
  it('says which ClickHouse server does not answer, without a stack trace', async () => {
    const port = await freePort()
    const run = await runCairn(['serve'], { CAIRN_CLICKHOUSE_URL: `http://127.0.0.1:${port}`, CAIRN_HTTP_PORT: '0', CAIRN_OTLP_PORT: '0' })
    expect(run.code).toBe(1)
    expect(run.stderr).toBe(`cairn: cannot reach ClickHouse at http://127.0.0.1:${port}: connection refused (is the server running and the URL right?)\n`)
  })

  it('says which port is taken, without a stack trace', async () => {
    const { createServer } = await import('node:net')
    const taken = createServer()
    await new Promise<void>((r) => taken.listen(0, '127.0.0.1', r))
    const port = (taken.address() as { port: number }).port
    try {
      const run = await runCairn(['serve'], { CAIRN_DATA_DIR: dir.path, CAIRN_HOST: '127.0.0.1', CAIRN_HTTP_PORT: String(port), CAIRN_OTLP_PORT: '0' })
      expect(run.code).toBe(1)
      expect(run.stderr).toBe(`cairn: cannot listen on 127.0.0.1:${port} (CAIRN_HTTP_PORT): the address is already in use\n`)
    } finally {
      await new Promise<void>((r) => taken.close(() => r()))
    }
  })

  it('names the bad config key and what was expected', async () => {
    const run = await runCairn(['serve'], { CAIRN_OTLP_PORT: 'http', CAIRN_DATA_DIR: dir.path })
    expect(run.code).toBe(2)
    expect(run.stderr).toBe('cairn: invalid configuration:\n  CAIRN_OTLP_PORT: collector.port: expected a port number (got "http")\n')
  })

  it('rejects an unknown command and lists the commands in help', async () => {
    const bad = await runCairn(['frobnicate'])
    expect(bad.code).toBe(2)
    expect(bad.stderr).toContain('unknown command "frobnicate"')
    const help = await runCairn(['help'])
    expect(help.code).toBe(0)
    for (const cmd of ['serve', 'collector', 'engine', 'api', 'migrate']) expect(help.stdout).toMatch(new RegExp(`^  ${cmd} `, 'm'))
    expect(help.stdout).toContain('CAIRN_CLICKHOUSE_URL')
  })

  it('migrates and exits with `cairn migrate`', async () => {
    const fresh = tempDir()
    try {
      const run = await runCairn(['migrate'], { CAIRN_DATA_DIR: fresh.path })
      expect(run.code).toBe(0)
      expect(run.stdout).toContain('storage/001_otel_tables')
      const again = await runCairn(['migrate'], { CAIRN_DATA_DIR: fresh.path })
      expect(again.code).toBe(0)
      expect(again.stdout).not.toContain('migrations applied')
    } finally {
      fresh.remove()
    }
  })
})

import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Hono } from 'hono'
import { configSchema } from '../../config/index.ts'
import type { Storage } from '../../storage/index.ts'
import { attachApi, createAuthorizer, listen, type ListeningServer } from '../../api/index.ts'
import { ENGINE_TABLES } from '../../slo-engine/index.ts'
import { createLogger } from '../../instrumentation/index.ts'
import { runCairn, startCairn } from '../support/cairn-process.ts'
import { startHttpRecorder } from '../support/http-recorder.ts'
import { mkdirSync, writeFileSync } from 'node:fs'
import { freePort } from '../support/ports.ts'
import { openMigratedStorage, seedCatalog } from '../support/storage.ts'
import { tempDir } from '../support/temp.ts'
import { seedRollupEdges } from '../support/rollup-history.ts'

// `cairn report` as a user runs it (bin/cairn.js in a child process) against
// a real API over the embedded engine, behind a bearer token: markdown and
// JSON outputs, exit 0 with a report, 2 on usage, connection and API errors.

const dir = tempDir()
const config = configSchema.parse({ storage: { dataDir: join(dir.path, 'data') } })
const TOKEN = 'report-read-token-0123456789'
let storage: Storage
let server: ListeningServer
let url: string

const SPEC = `apiVersion: cairn/v1
kind: SLO
metadata: { name: availability, service: shop, displayName: Shop availability, labels: { team: web } }
spec: { objective: 99, window: 7d, sli: { spans: { service: shop, bad: error } } }
`
const chTime = (text: string) => text.replace('T', ' ').replace('Z', '')
const evaluation = (at: string, sli: number, remaining: number) => ({
  slo_id: 'shop-availability', evaluated_at: chTime(at), status: 'ok', objective: 0.99, sli, events_total: 1000, events_bad: 1000 * (1 - sli),
  budget_total: 10, budget_consumed: 10 * (1 - remaining), budget_remaining: remaining, burn_rates: {},
})

beforeAll(async () => {
  storage = await openMigratedStorage(config)
  const catalog = await seedCatalog(storage, join(dir.path, 'slos'), { 'shop.yaml': SPEC })
  await storage.insertRows(ENGINE_TABLES.evaluations, [evaluation('2026-11-15T23:00:00Z', 0.999, 0.95), evaluation('2026-11-22T23:00:00Z', 0.996, 0.8), evaluation('2026-11-29T23:00:00Z', 0.992, 0.3)])
  // The weeks' own SLIs, from the rollups: 4 bad of 1000 the week before, 8 of 1000 this week.
  await seedRollupEdges(storage, (await catalog.get('shop-availability'))!, { epoch: '2026-11-09T00:00:00Z', computedTo: '2026-12-01T00:00:00Z' }, [
    { at: '2026-11-15T23:59:00Z', good: 999, total: 1000 },
    { at: '2026-11-22T23:59:00Z', good: 1995, total: 2000 },
    { at: '2026-11-29T23:59:00Z', good: 2987, total: 3000 },
  ])
  await storage.insertRows('cairn_alert_state', [
    { slo_id: 'shop-availability', severity: 'page', state: 'resolved', fired_at: chTime('2026-11-27T10:00:00Z'), resolved_at: chTime('2026-11-27T10:45:00Z'), updated_at: chTime('2026-11-27T10:45:00Z') },
  ])
  const app = new Hono()
  attachApi(app, { storage, logger: createLogger('silent'), auth: createAuthorizer([{ token: TOKEN, roles: ['read'] }]), catalog })
  server = await listen(app, '127.0.0.1', 0)
  url = `http://127.0.0.1:${server.port}`
})
afterAll(async () => {
  await server?.close()
  await storage?.close()
  dir.remove()
})

const report = (...args: string[]) => runCairn(['report', ...args], { CAIRN_URL: '', CAIRN_TOKEN: '' })

describe('cairn report', () => {
  it('prints the week as markdown', async () => {
    const r = await report('--period', 'week', '--end', '2026-12-01T00:00:00Z', '--url', url, '--token', TOKEN)
    expect(r.stderr).toBe('')
    expect(r.code).toBe(0)
    expect(r.stdout).toBe(
      [
        '# SLO report: week 2026-11-23 to 2026-11-30',
        '',
        '1 met, 0 missed, 0 without data, of 1 SLOs; 1 alerts fired (45m in all).',
        '',
        '## Team web',
        '',
        '### shop',
        '',
        // 0.80 remaining at the previous close, 0.30 now: 50 % of the budget spent, 30 points more than the week before (0.95 → 0.80).
        '- **Shop availability** (`shop-availability`): met, SLI 99.200 % vs 99.000 %; budget spent 50.0 %, remaining 30.0 %',
        '  - vs previous: SLI -0.4 pp, budget spent +35.0 pp, alerts +1',
        '  - alerts: page 2026-11-27 10:00 for 45m',
        '  - no bad events to attribute',
        '',
      ].join('\n'),
    )
  })

  it('prints the API answer with --format json, with the filters', async () => {
    const r = await report('--period=week', '--format=json', '--label=team:web', '--service', 'shop', '--end', '2026-12-01T00:00:00Z', '--url', `${url}/`, '--token', TOKEN)
    expect(r.code).toBe(0)
    const body = JSON.parse(r.stdout)
    expect(body).toMatchObject({ period: 'week', from: '2026-11-23T00:00:00.000Z', filter: { service: 'shop', label: 'team:web' }, summary: { slos: 1, met: 1, alertsFired: 1, alertSeconds: 2700 } })
    expect(body.teams[0].services[0].slos[0]).toMatchObject({ id: 'shop-availability', sli: 0.992, budgetRemaining: 0.3, previous: { sli: 0.996 } })
  })

  it('exits 2 on usage, connection and API errors', async () => {
    expect(await report()).toMatchObject({ code: 2, stderr: expect.stringContaining('--period: expected week or month') })
    expect(await report('--period', 'year')).toMatchObject({ code: 2, stderr: expect.stringContaining('(got "year")') })
    expect(await report('--period', 'week', '--format', 'html')).toMatchObject({ code: 2, stderr: expect.stringContaining('--format: expected markdown or json') })
    expect(await report('--period', 'week', '--label', 'team')).toMatchObject({ code: 2, stderr: expect.stringContaining('--label: expected key:value') })
    expect(await report('--period', 'week', '--bogus')).toMatchObject({ code: 2, stderr: expect.stringContaining('unknown argument "--bogus"') })
    expect(await report('--period', 'week', '--url', `http://127.0.0.1:${await freePort()}`)).toMatchObject({ code: 2, stderr: expect.stringContaining('cannot reach cairn') })
    expect(await report('--period', 'week', '--url', url)).toMatchObject({ code: 2, stderr: expect.stringContaining('HTTP 401') })
    expect(await report('--period', 'week', '--service', 'nope', '--url', url, '--token', TOKEN)).toMatchObject({ code: 2, stderr: expect.stringContaining('HTTP 404: no SLO of service "nope"') })
    expect(await report('--period', 'week', '--end', 'yesterday', '--url', url, '--token', TOKEN)).toMatchObject({ code: 2, stderr: expect.stringContaining('query parameter end') })
  })
})

describe('cairn serve with CAIRN_REPORT_SCHEDULE', () => {
  it('posts the report to the webhook on the schedule, and refuses a schedule without a webhook', async () => {
    const hook = await startHttpRecorder()
    const slos = join(dir.path, 'served-slos')
    mkdirSync(slos, { recursive: true })
    writeFileSync(join(slos, 'shop.yaml'), SPEC)
    const served = await startCairn({ CAIRN_DATA_DIR: join(dir.path, 'served-data'), CAIRN_SLO_DIR: slos, CAIRN_REPORT_SCHEDULE: '* * * * * *', CAIRN_REPORT_PERIOD: 'month', CAIRN_REPORT_WEBHOOK_URL: hook.url })
    try {
      const [sent] = await hook.waitFor(1, 20_000)
      const body = sent!.body as any
      expect(body.report).toMatchObject({ period: 'month', summary: { slos: 1 } })
      expect(body.text).toMatch(/^# SLO report: month /)
    } finally {
      expect(await served.stop()).toBe(0)
      await hook.close()
    }
    const refused = await runCairn(['serve'], { CAIRN_DATA_DIR: join(dir.path, 'refused-data'), CAIRN_SLO_DIR: slos, CAIRN_REPORT_SCHEDULE: '0 9 * * 1', CAIRN_HTTP_PORT: '0', CAIRN_OTLP_PORT: '0' })
    expect(refused.code).toBe(2)
    expect(refused.stderr).toContain('no webhook to send the report to')
  })
})

import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Registry } from 'prom-client'
import { configSchema } from '../../config/index.ts'
import { createLogger } from '../../instrumentation/index.ts'
import type { Storage } from '../../storage/index.ts'
import { createApi, createAuthorizer } from '../../api/index.ts'
import { createEngine, createSloCatalog, type Engine, type SloCatalog } from '../../slo-engine/index.ts'
import { openMigratedStorage } from '../support/storage.ts'
import { spans } from '../fixtures/telemetry.ts'
import { latestEvaluation } from '../support/evaluations.ts'
import { tempDir } from '../support/temp.ts'
import { runCairn } from '../support/cairn-process.ts'

// Issue 10, SLO isolation: an SLO the engine cannot evaluate (a regex RE2
// refuses, a window longer than allowed, a query ClickHouse rejects) gets
// status error with its reason; every other SLO keeps being evaluated. What is
// known statically is refused at PUT, validate and `cairn validate`.

const dir = tempDir()
const sloDir = join(dir.path, 'slos')
const config = configSchema.parse({ storage: { dataDir: join(dir.path, 'data'), ttlDays: { traces: 0, logs: 0, metrics: 0 } }, engine: { sloDir } })
const TOKEN = 'isolation-admin-token-0123456789'
let storage: Storage
let catalog: SloCatalog
let registry: Registry
let engine: Engine
/** The same catalog evaluated by an engine whose regex check lets everything through: the grouped query itself fails. */
let unchecked: { engine: Engine; registry: Registry }

/** A 1-day checkout SLO over spans named by `spanName` (a value or a matcher), with `extra` spec lines (alerting) after its SLI. */
const slo = (name: string, spanName: string, extra = '') =>
  ['apiVersion: cairn/v1', 'kind: SLO', `metadata: { name: ${name}, service: checkout }`, 'spec:', '  objective: 99', '  window: 1d', '  sli:', `    spans: { service: checkout, spanName: ${spanName}, bad: error }`, extra].join('\n')
const T1 = new Date('2025-01-15T12:00:00Z')
const T2 = new Date('2025-01-15T12:01:00Z')
const api = () => createApi({ storage, logger: createLogger('silent'), auth: createAuthorizer([{ token: TOKEN, roles: ['admin'] }]), catalog })
async function call(method: string, path: string, body?: string) {
  const res = await api().request(path, { method, headers: { authorization: `Bearer ${TOKEN}`, ...(body !== undefined && { 'content-type': 'application/yaml' }) }, body })
  return { status: res.status, body: (await res.json()) as any }
}
const metricLines = async (r: Registry, name: string) => (await r.metrics()).split('\n').filter((l) => l.startsWith(name)).sort()

beforeAll(async () => {
  mkdirSync(sloDir)
  // Healthy SLOs in one file, the broken one in another: the other files still load.
  writeFileSync(join(sloDir, 'healthy.yaml'), `${slo('availability', '{ re: "POST /pa.*" }')}---\n${slo('pay', 'POST /pay')}---\n${slo('longpolicy', 'POST /pay')}`)
  writeFileSync(join(sloDir, 'broken.yaml'), slo('broken', '{ re: "\\\\cA" }'))
  storage = await openMigratedStorage(config)
  const logger = createLogger('silent')
  catalog = createSloCatalog({ storage, sloDir, logger })
  // A windows file (or an older catalog row) can still hand the engine a window longer than the SLO's.
  const extraWindowsSeconds = (s: { name: string }) => (s.name === 'longpolicy' ? [100_000 * 86400] : [])
  registry = new Registry()
  engine = createEngine({ config: config.engine, storage, logger, registry, catalog, extraWindowsSeconds })
  const r2 = new Registry()
  unchecked = { registry: r2, engine: createEngine({ config: config.engine, storage, logger, registry: r2, catalog, extraWindowsSeconds, regexChecker: async () => new Map() }) }
  await storage.insertRows('otel_traces', [...spans('2025-01-15T11:30:00Z', 100, { errors: 10 }), ...spans('2025-01-15T11:59:00Z', 100, { errors: 2 })])
})
afterAll(async () => {
  await storage?.close()
  dir.remove()
})

describe('an SLO the engine cannot evaluate', () => {
  it('gets status error with its reason; the others are evaluated at every tick', async () => {
    await engine.tick(T1)
    await engine.tick(T2)
    for (const id of ['checkout-availability', 'checkout-pay']) {
      const e = await latestEvaluation(storage, id)
      expect([e.status, e.evaluatedAtMs, e.eventsTotal]).toEqual(['ok', T2.getTime(), 200])
    }
    const broken = await latestEvaluation(storage, 'checkout-broken')
    expect(broken).toMatchObject({ status: 'error', evaluatedAtMs: T2.getTime(), sli: null, burnRates: {} })
    expect(broken.error).toBe('sli.spanName: RE2 refuses the pattern "\\\\cA": invalid escape sequence: \\c')
    const long = await latestEvaluation(storage, 'checkout-longpolicy')
    expect(long.status).toBe('error')
    expect(long.error).toMatch(/^window 100000d \(from the alert policy\) is longer than the SLO window \(1d\)/)

    // /metrics: the healthy SLOs' last evaluation moved to T2; the broken ones count errors and show the status.
    expect(await metricLines(registry, 'cairn_slo_last_evaluation_timestamp_seconds{')).toEqual([
      `cairn_slo_last_evaluation_timestamp_seconds{slo="checkout-availability",service="checkout",name="availability"} ${T2.getTime() / 1000}`,
      `cairn_slo_last_evaluation_timestamp_seconds{slo="checkout-pay",service="checkout",name="pay"} ${T2.getTime() / 1000}`,
    ])
    expect(await metricLines(registry, 'cairn_slo_evaluation_errors_total{')).toEqual([
      'cairn_slo_evaluation_errors_total{slo="checkout-broken"} 2',
      'cairn_slo_evaluation_errors_total{slo="checkout-longpolicy"} 2',
    ])
    expect(await metricLines(registry, 'cairn_slo_status{')).toEqual([
      'cairn_slo_status{slo="checkout-availability",service="checkout",name="availability",status="ok"} 1',
      'cairn_slo_status{slo="checkout-broken",service="checkout",name="broken",status="error"} 1',
      'cairn_slo_status{slo="checkout-longpolicy",service="checkout",name="longpolicy",status="error"} 1',
      'cairn_slo_status{slo="checkout-pay",service="checkout",name="pay",status="ok"} 1',
    ])
  })

  it('shows the error and its reason in the API', async () => {
    const one = await call('GET', '/api/v1/slos/checkout-broken')
    expect(one.status).toBe(200)
    expect(one.body.status).toMatchObject({ state: 'error', error: expect.stringContaining('RE2 refuses the pattern'), sli: null })
    const list = await call('GET', '/api/v1/slos')
    const states = Object.fromEntries(list.body.slos.map((s: any) => [s.id, [s.status.state, s.status.error]]))
    expect(states['checkout-availability']).toEqual(['ok', null])
    expect(states['checkout-longpolicy']).toEqual(['error', expect.stringContaining('longer than the SLO window')])
  })

  it('confines a grouped query that ClickHouse rejects to the SLO that caused it (bisecting the group)', async () => {
    const T3 = new Date('2025-01-15T12:02:00Z')
    await unchecked.engine.tick(T3)
    expect((await latestEvaluation(storage, 'checkout-availability')).evaluatedAtMs).toBe(T3.getTime())
    expect((await latestEvaluation(storage, 'checkout-pay')).status).toBe('ok')
    const broken = await latestEvaluation(storage, 'checkout-broken')
    expect(broken.status).toBe('error')
    expect(broken.error).toMatch(/^backfill query failed: ClickHouse error 427: .*cannot compile re2/)
    expect(await metricLines(unchecked.registry, 'cairn_slo_evaluation_errors_total{slo="checkout-broken"}')).toEqual(['cairn_slo_evaluation_errors_total{slo="checkout-broken"} 1'])
  })
})

describe('static checks at PUT, validate and cairn validate', () => {
  const policy = (pageLong: string, ticketShort: string) => `  alerting:
    policy:
      page:
        quick: { errorBudgetPercent: 2, shortWindow: 5m, longWindow: ${pageLong} }
        slow: { errorBudgetPercent: 5, shortWindow: 30m, longWindow: 6h }
      ticket:
        quick: { errorBudgetPercent: 10, shortWindow: ${ticketShort}, longWindow: 1h }
        slow: { errorBudgetPercent: 100, shortWindow: 6h, longWindow: 1d }
`
  it('refuses a regex RE2 refuses with 400 naming the field and its position', async () => {
    const res = await call('PUT', '/api/v1/slos/checkout-regex', slo('regex', '{ re: "\\\\cA" }'))
    expect(res.status).toBe(400)
    expect(res.body.error.code).toBe('invalid_spec')
    expect(res.body.error.details).toEqual([{ file: 'api', line: 8, column: 49, message: 'spec.sli.spans.spanName.re: RE2 (ClickHouse\'s regex engine) refuses the pattern "\\\\cA": invalid escape sequence: \\c' }])
    expect((await call('GET', '/api/v1/slos/checkout-regex')).status).toBe(404)
  })

  it('refuses alert policy windows longer than the SLO window, or a short window not shorter than its long one', async () => {
    const long = await call('PUT', '/api/v1/slos/checkout-policy', slo('policy', 'POST /pay', policy('100000d', '2h')))
    expect(long.status).toBe(400)
    expect(long.body.error.details).toEqual([
      { file: 'api', line: 15, column: 55, message: 'spec.alerting.policy.ticket.quick.shortWindow: expected a short window shorter than the long window (1h) (got "2h")' },
    ])
    const short = await call('PUT', '/api/v1/slos/checkout-policy', slo('policy', 'POST /pay', policy('100000d', '5m')))
    expect(short.status).toBe(400)
    expect(short.body.error.details).toEqual([
      { file: 'api', line: 12, column: 70, message: 'spec.alerting.policy.page.quick.longWindow: expected a long window of at most the SLO window (1d) (got "100000d")' },
    ])
    expect((await call('PUT', '/api/v1/slos/checkout-policy', slo('policy', 'POST /pay', policy('1h', '5m')))).status).toBe(201)
  })

  it('reports both through POST /slos/validate', async () => {
    const res = await call('POST', '/api/v1/slos/validate', `${slo('regex', '{ re: "\\\\cA" }')}---\n${slo('policy', 'POST /pay', policy('100000d', '5m'))}---\n${slo('fine', '{ re: "POST /.*" }')}`)
    expect(res.status).toBe(200)
    expect(res.body.valid).toBe(false)
    expect(res.body.slos.map((s: any) => s.id)).toEqual(['checkout-fine'])
    expect(res.body.errors.map((e: any) => `${e.line}:${e.column}: ${e.message.split(':')[0]}`)).toEqual([
      '21:70: spec.alerting.policy.page.quick.longWindow',
      '8:49: spec.sli.spans.spanName.re',
    ])
  })

  it('cairn validate checks regexes with an embedded ClickHouse', async () => {
    const file = join(dir.path, 'regex.yaml')
    writeFileSync(file, `${slo('fine', '{ re: "POST /.*" }')}---\n${slo('regex', '{ re: "x{1001}" }')}`)
    const run = await runCairn(['validate', file])
    expect(run.stdout).toBe(`${file}:17:49: spec.sli.spans.spanName.re: RE2 (ClickHouse's regex engine) refuses the pattern "x{1001}": invalid repetition size: {1001}\n1 SLO valid, 1 error\n`)
    expect(run.code).toBe(1)
  })
})

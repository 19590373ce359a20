import { join } from 'node:path'
import { Hono } from 'hono'
import { attachApi, createAuthorizer, listen, type ListeningServer } from '../../api/index.ts'
import type { ApiToken } from '../../config/index.ts'
import { configSchema } from '../../config/index.ts'
import { createLogger } from '../../instrumentation/index.ts'
import { ENGINE_TABLES } from '../../slo-engine/index.ts'
import type { Storage } from '../../storage/index.ts'
import { openMigratedStorage, seedCatalog } from '../support/storage.ts'
import { tempDir } from '../support/temp.ts'
import { slothSpecYaml } from '../fixtures/slos.ts'

// Cairn's HTTP side (API and UI) on the embedded store, with SLOs of every
// kind the UI shows and evaluations whose numbers the tests check: one
// burning fast (page firing), one overspent on low traffic, one healthy, one
// without data, one PromQL SLO Prometheus computes.

const spec = (name: string, service: string, team: string, objective: number, window: string, sli: string) => `apiVersion: cairn/v1
kind: SLO
metadata: { name: ${name}, service: ${service}, labels: { team: ${team} } }
spec:
  objective: ${objective}
  window: ${window}
  sli: ${sli}
`

export const SPECS: Record<string, string> = {
  'checkout.yaml': spec('availability', 'checkout', 'payments', 99.9, '30d', '{ spans: { service: checkout, bad: error } }'),
  'cart.yaml': spec('availability', 'cart', 'payments', 99.5, '28d', '{ spans: { service: cart, bad: error } }'),
  'auth.yaml': spec('login', 'auth', 'identity', 99, '7d', '{ logs: { service: auth, bad: { severity: error } } }'),
  'search.yaml': spec('latency', 'search', 'discovery', 99.5, '30d', '{ spans: { service: search, bad: { latency: { threshold: 300ms } } } }'),
  'inventory.yaml': spec('availability', 'inventory', 'logistics', 99.9, '30d', '{ spans: { service: inventory, bad: error } }'),
  'sloth.yaml': slothSpecYaml({ service: 'billing', alertName: 'BillingHighErrorRate', labels: '{ team: payments }' }),
}

const MINUTE = 60_000
export const NOW = Math.floor(Date.now() / MINUTE) * MINUTE
export const chTime = (ms: number) => new Date(ms).toISOString().replace('T', ' ').replace('Z', '')

/** The latest evaluation of each evaluated SLO: what the overview must show. */
export const LATEST = {
  'checkout-availability': { objective: 0.999, sli: 0.9993, total: 1_000_000, bad: 700, budgetTotal: 1000, remaining: 0.3, burn: { '5m': 18, '30m': 8, '1h': 16, '2h': 3.1, '6h': 7, '1d': 2.5, '3d': 1.4, window: 0.7 } },
  'cart-availability': { objective: 0.995, sli: 0.998, total: 200_000, bad: 400, budgetTotal: 1000, remaining: 0.6, burn: { '5m': 0.3, '30m': 0.4, '1h': 0.4, '2h': 0.4, '6h': 0.4, '1d': 0.45, '3d': 0.42, window: 0.4 } },
  'auth-login': { objective: 0.99, sli: 0.988, total: 400, bad: 4.8, budgetTotal: 4, remaining: -0.2, burn: { '5m': 0, '30m': 0.5, '1h': 0.5, '2h': 0.6, '6h': 1.2, '1d': 1.1, '3d': 1.3, window: 1.2 } },
  'search-latency': { objective: 0.995, sli: 0.9996, total: 5_000_000, bad: 2000, budgetTotal: 25_000, remaining: 0.92, burn: { '5m': 0.1, '30m': 0.1, '1h': 0.1, '2h': 0.1, '6h': 0.1, '1d': 0.08, '3d': 0.08, window: 0.08 } },
} as const

function row(id: keyof typeof LATEST, atMs: number, scale = 1) {
  const l = LATEST[id]
  // scale 1 is the latest evaluation, exactly; earlier ones had spent that share of it
  const remaining = scale === 1 ? l.remaining : 1 - (1 - l.remaining) * scale
  return {
    slo_id: id, evaluated_at: chTime(atMs), status: 'ok', objective: l.objective, sli: l.sli, events_total: l.total, events_bad: l.bad * scale,
    budget_total: l.budgetTotal, budget_consumed: l.budgetTotal * (1 - remaining), budget_remaining: remaining, burn_rates: l.burn,
  }
}

async function seedEvaluations(storage: Storage): Promise<void> {
  // checkout: 30 days every 10 minutes, the budget falling from 100 % to 30 %
  // faster at the end; the SLI dips under 99.9 % for 5 hours 4 times; the last 3
  // hours burn at the page rate.
  const steps = 30 * 144
  const spent = `0.7 * pow(m / ${steps}, 2)`
  await storage.command(
    `INSERT INTO ${ENGINE_TABLES.evaluations} (slo_id, evaluated_at, status, objective, sli, events_total, events_bad, budget_total, budget_consumed, budget_remaining, burn_rates)
     SELECT 'checkout-availability', fromUnixTimestamp64Milli(toInt64(${NOW} - (${steps} - m) * 600000)), 'ok', 0.999,
            if(m % 1000 BETWEEN 970 AND 999, 0.9985, 0.9995), 1000000, 1000 * ${spent}, 1000, 1000 * ${spent}, 1 - ${spent},
            if(m > ${steps} - 18, map('5m', 18., '30m', 8., '1h', 16., '2h', 3.1, '6h', 7., '1d', 2.5, '3d', 1.4, 'window', 0.7),
                                 map('5m', 0.5, '30m', 0.5, '1h', 0.5, '2h', 0.5, '6h', 0.5, '1d', 0.6, '3d', 0.7, 'window', 0.6))
     FROM (SELECT number AS m FROM numbers(${steps}))`,
  )
  const latest = [row('checkout-availability', NOW), row('cart-availability', NOW), row('auth-login', NOW), row('search-latency', NOW)]
  const older = (['cart-availability', 'auth-login', 'search-latency'] as const).flatMap((id) => Array.from({ length: 48 }, (_, i) => row(id, NOW - (48 - i) * 3 * 3_600_000, i / 48)))
  const inventory = { slo_id: 'inventory-availability', evaluated_at: chTime(NOW), status: 'no_data', objective: 0.999, sli: null, events_total: 0, events_bad: 0, budget_total: 0, budget_consumed: 0, budget_remaining: null, burn_rates: {} }
  await storage.insertRows(ENGINE_TABLES.evaluations, [...older, ...latest.slice(1), inventory])
  await storage.insertRows(ENGINE_TABLES.status, [...latest, inventory])
  await storage.insertRows('cairn_alert_state', [
    { slo_id: 'checkout-availability', severity: 'page', state: 'pending', active_since: chTime(NOW - 40 * MINUTE), updated_at: chTime(NOW - 40 * MINUTE) },
    { slo_id: 'checkout-availability', severity: 'page', state: 'firing', active_since: chTime(NOW - 40 * MINUTE), fired_at: chTime(NOW - 35 * MINUTE), updated_at: chTime(NOW - 35 * MINUTE) },
    { slo_id: 'checkout-availability', severity: 'ticket', state: 'inactive', updated_at: chTime(NOW - 35 * MINUTE) },
  ])
}

/** Bad events in the telemetry tables: failing spans of checkout, error logs of auth. */
async function seedTelemetry(storage: Storage): Promise<void> {
  await storage.insertRows('otel_traces', Array.from({ length: 3 }, (_, i) => ({
    Timestamp: chTime(NOW - (i + 1) * MINUTE), TraceId: `${'ab'.repeat(15)}0${i}`, SpanId: `00000000000000c${i}`, SpanName: 'POST /checkout', SpanKind: 'Server',
    ServiceName: 'checkout', Duration: 120_000_000, StatusCode: 'Error', StatusMessage: 'payment gateway timeout', SpanAttributes: { 'http.route': '/checkout' },
  })))
  // A good span of another route: the attribution section then blames /checkout (3 of 3 bad events, 3 of 4 events).
  await storage.insertRows('otel_traces', [{ Timestamp: chTime(NOW - MINUTE), TraceId: 'cd'.repeat(16), SpanId: '00000000000000d0', SpanName: 'GET /home', SpanKind: 'Server', ServiceName: 'checkout', Duration: 1_000_000, StatusCode: 'Ok', SpanAttributes: { 'http.route': '/home' } }])
  await storage.insertRows('otel_logs', [
    { Timestamp: chTime(NOW - 2 * MINUTE), ServiceName: 'auth', SeverityText: 'ERROR', SeverityNumber: 17, Body: 'login failed: upstream idp 503' },
    { Timestamp: chTime(NOW - 3 * MINUTE), ServiceName: 'auth', SeverityText: 'INFO', SeverityNumber: 9, Body: 'login ok' },
  ])
}

export interface UiFixture {
  baseUrl: string
  storage: Storage
  sloDir: string
  close(): Promise<void>
}

/** Storage, catalog, seeded data and the HTTP app (API + UI) on a free port of 127.0.0.1. */
export async function startUiFixture(options: { tokens?: ApiToken[] } = {}): Promise<UiFixture> {
  const dir = tempDir('cairn-ui-')
  const sloDir = join(dir.path, 'slos')
  const storage = await openMigratedStorage(configSchema.parse({ storage: { dataDir: join(dir.path, 'data') } }))
  let server: ListeningServer | undefined
  try {
    const logger = createLogger(process.env.CAIRN_UI_FIXTURE_LOG ? 'error' : 'silent')
    const catalog = await seedCatalog(storage, sloDir, SPECS, logger)
    await seedEvaluations(storage)
    await seedTelemetry(storage)
    const app = new Hono()
    attachApi(app, { storage, logger, auth: createAuthorizer(options.tokens ?? []), catalog })
    server = await listen(app, '127.0.0.1', 0)
  } catch (err) {
    await storage.close()
    dir.remove()
    throw err
  }
  const listening = server
  return {
    baseUrl: `http://127.0.0.1:${listening.port}`,
    storage,
    sloDir,
    async close() {
      await listening.close()
      await storage.close()
      dir.remove()
    },
  }
}

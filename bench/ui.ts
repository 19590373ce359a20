// npm run bench:ui — the web UI in a real browser (Debian's chromium through
// playwright-core): time until the overview's table of 1,000 SLOs is drawn,
// and until an SLO page with 30 days of one-minute history has drawn its
// charts, measured from navigation start (performance.mark in the page).
//
// The API and the UI run in this process on the embedded store: 1,000 SLOs
// with 7 days of one-minute evaluations each (10 M rows, what the overview's
// sparklines read), one of them with 30 days (43,200 rows). Baseline in the
// same run: a static HTML page of the same 1,000-row table, served from memory
// by the same process (what the browser alone needs to load and draw it).
// RUNS (default 7) page loads of each, in a fresh tab each; medians and maxima.

import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { Hono } from 'hono'
import { chromium, type Page } from 'playwright-core'
import { configSchema } from '../config/index.ts'
import { allMigrations } from '../cli/index.ts'
import { migrate, openStorage, otelTables, type Storage } from '../storage/index.ts'
import { attachApi, createAuthorizer, listen } from '../api/index.ts'
import { createSloCatalog, ENGINE_TABLES } from '../slo-engine/index.ts'
import { createLogger } from '../instrumentation/index.ts'
import { tempDir } from '../test/support/temp.ts'
import { CHROMIUM } from '../test/ui/browser.ts'

const SLO_COUNT = 1000
const RUNS = Number(process.env.RUNS ?? 7)
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run']
const idOf = (i: number) => `svc${i % 50}-slo${i}`

const sloYaml = (i: number) => `apiVersion: cairn/v1
kind: SLO
metadata: { name: slo${i}, service: svc${i % 50}, labels: { team: team${i % 12} } }
spec:
  objective: 99.9
  window: 30d
  sli: { spans: { service: svc${i % 50}, bad: error } }
`

async function seed(storage: Storage, sloDir: string): Promise<void> {
  mkdirSync(sloDir, { recursive: true })
  writeFileSync(join(sloDir, 'slos.yaml'), Array.from({ length: SLO_COUNT }, (_, i) => sloYaml(i)).join('---\n'))
  const { errors } = await createSloCatalog({ storage, sloDir, logger: createLogger('silent') }).syncFiles()
  if (errors.length > 0) throw new Error(`bench SLOs invalid: ${JSON.stringify(errors.slice(0, 3))}`)
  const row = (minutes: number, idExpr: string) => `${idExpr} AS slo_id, toDateTime64(now() - (${minutes} - m) * 60, 3) AS evaluated_at, 'ok' AS status, 0.999 AS objective,
    0.9995 - (s % 7) / 10000 AS sli, 1e6 + m AS events_total, 500 + m / 100 AS events_bad, 1000 AS budget_total, 500 + m / 100 AS budget_consumed,
    1 - (500 + m / 100) / 1000 - (s % 200) / 100 AS budget_remaining,
    map('5m', 0.5, '30m', 0.6, '1h', (s % 20) * 1.0, '2h', 0.8, '6h', (s % 9) * 1.0, '1d', (s % 5) * 1.0, '3d', (s % 3) * 1.0, 'window', 0.5) AS burn_rates`
  const ids = `concat('svc', toString(s % 50), '-slo', toString(s))`
  const week = 7 * 1440
  await storage.command(`INSERT INTO ${ENGINE_TABLES.evaluations} (slo_id, evaluated_at, status, objective, sli, events_total, events_bad, budget_total, budget_consumed, budget_remaining, burn_rates) SELECT ${row(week, ids)} FROM (SELECT number % ${SLO_COUNT} AS s, intDiv(number, ${SLO_COUNT}) AS m FROM numbers(${SLO_COUNT * week}))`)
  const month = 30 * 1440
  await storage.command(`INSERT INTO ${ENGINE_TABLES.evaluations} (slo_id, evaluated_at, status, objective, sli, events_total, events_bad, budget_total, budget_consumed, budget_remaining, burn_rates) SELECT ${row(month, `'${idOf(0)}'`)} FROM (SELECT 0 AS s, number AS m FROM numbers(${month - week}))`)
  await storage.command(`INSERT INTO ${ENGINE_TABLES.status} (slo_id, evaluated_at, status, objective, sli, events_total, events_bad, budget_total, budget_consumed, budget_remaining, burn_rates) SELECT ${row(week, ids)} FROM (SELECT number AS s, ${week} AS m FROM numbers(${SLO_COUNT}))`)
}

/** The same table as the overview, static: the floor of loading and drawing it. */
function staticPage(): string {
  const rows = Array.from({ length: SLO_COUNT }, (_, i) => `<tr><th><a href="/slos/${idOf(i)}">${idOf(i)}</a></th><td>99.9 %</td><td>99.95 %</td><td>50.0 %</td><td>1.00</td><td>1.00</td><td>1.00</td><td>1.00</td><td>page: inactive ticket: inactive</td><td><svg viewBox="0 0 100 24" width="100" height="24"><polyline points="0,5 50,10 100,12" fill="none" stroke="blue"/></svg></td></tr>`)
  return `<!doctype html><html><head><meta charset="utf-8"><title>static</title></head><body><table>${rows.join('')}</table><script>performance.mark('cairn:ready')</script></body></html>`
}

/** Milliseconds from navigation start to the page's data arriving (its API calls answered) and to its table or charts drawn. */
async function timeToReady(page: Page, url: string): Promise<{ data: number; ready: number }> {
  await page.goto(url, { waitUntil: 'commit' })
  await page.waitForFunction(() => performance.getEntriesByName('cairn:ready').length > 0, undefined, { timeout: 60_000, polling: 20 })
  // A string, not a function: tsx would wrap a function's inner names in a helper the page does not have.
  return page.evaluate<{ data: number; ready: number }>(`({ data: performance.getEntriesByName('cairn:data')[0]?.startTime ?? NaN, ready: performance.getEntriesByName('cairn:ready')[0].startTime })`)
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
const fmt = (ms: number) => `${Math.round(ms).toLocaleString('en')} ms`

async function main(): Promise<void> {
  if (!CHROMIUM) throw new Error('bench:ui needs Debian chromium (`command -v chromium` found nothing): apt-get install chromium')
  const dir = tempDir('cairn-bench-ui-')
  const config = configSchema.parse({ storage: { dataDir: join(dir.path, 'data') } })
  const storage = await openStorage(config.storage)
  const profile = tempDir('cairn-bench-chromium-')
  try {
    await migrate(storage, allMigrations(config), otelTables(config.storage.ttlDays))
    const seedStart = performance.now()
    await seed(storage, join(dir.path, 'slos'))
    // Merge the inserted parts now, so background merges do not run during the measurements.
    await storage.command(`OPTIMIZE TABLE ${ENGINE_TABLES.evaluations} FINAL`)
    await storage.command(`OPTIMIZE TABLE ${ENGINE_TABLES.budgetHourly} FINAL`)
    process.stdout.write(`seeded ${SLO_COUNT} SLOs, ${(SLO_COUNT * 7 * 1440).toLocaleString('en')} + ${(23 * 1440).toLocaleString('en')} evaluations in ${fmt(performance.now() - seedStart)}\n`)
    const app = new Hono()
    const html = staticPage()
    app.get('/static-baseline', (c) => c.html(html))
    const logger = createLogger('silent')
    // As cairn serve configures it (the status list reused for api.statusCacheMs, 2 s by default).
    attachApi(app, { storage, logger, auth: createAuthorizer([]), catalog: createSloCatalog({ storage, sloDir: undefined, logger }), statusCacheMs: config.api.statusCacheMs })
    const server = await listen(app, '127.0.0.1', 0)
    const base = `http://127.0.0.1:${server.port}`
    // The data calls the overview makes, alone (no browser): where the time goes (the status list from its cache after the first).
    for (const path of ['/api/v1/slos', '/api/v1/alerts/policies', '/api/v1/trends/budget?from=now-7d&points=56']) {
      const times: number[] = []
      for (let i = 0; i < 3; i++) {
        const start = performance.now()
        await (await fetch(`${base}${path}`)).arrayBuffer()
        times.push(performance.now() - start)
      }
      process.stdout.write(`GET ${path}: median of 3 ${fmt(median(times))}\n`)
    }
    const browser = await chromium.launchPersistentContext(profile.path, { executablePath: CHROMIUM, args: FLAGS, viewport: { width: 1400, height: 900 } })
    try {
      const pages: [string, string][] = [['static page, same table (baseline)', '/static-baseline'], ['overview, 1,000 SLOs', '/'], ['SLO page, 30 days of history', `/slos/${idOf(0)}`]]
      const results: { name: string; times: number[]; data: number[] }[] = pages.map(([name]) => ({ name, times: [], data: [] }))
      for (let run = 0; run < RUNS; run++) {
        // Interleaved, so a busy moment of this shared machine hits all three alike.
        for (const [i, [, path]] of pages.entries()) {
          const page = await browser.newPage()
          const t = await timeToReady(page, `${base}${path}`)
          results[i]!.times.push(t.ready)
          results[i]!.data.push(t.data)
          await page.close()
        }
      }
      const baseline = median(results[0]!.times)
      process.stdout.write(`\n${RUNS} loads each, from navigation start; "data": the page's API calls answered; "drawn": its table or charts drawn:\n\n| page | data, median | drawn, median | drawn, max | ÷ baseline |\n| --- | --- | --- | --- | --- |\n`)
      for (const r of results) {
        const data = r.data.every(Number.isNaN) ? '–' : fmt(median(r.data))
        process.stdout.write(`| ${r.name} | ${data} | ${fmt(median(r.times))} | ${fmt(Math.max(...r.times))} | ${(median(r.times) / baseline).toFixed(1)}× |\n`)
      }
    } finally {
      await browser.close()
      await server.close()
    }
  } finally {
    await storage.close()
    dir.remove()
    profile.remove()
  }
}

await main()

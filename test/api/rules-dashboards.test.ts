import { spawnSync } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { configSchema } from '../../config/index.ts'
import type { Storage } from '../../storage/index.ts'
import { createApi, createAuthorizer } from '../../api/index.ts'
import type { SloCatalog } from '../../slo-engine/index.ts'
import { generatePrometheusRules } from '../../alerts/index.ts'
import { createLogger } from '../../instrumentation/index.ts'
import { openMigratedStorage, seedCatalog } from '../support/storage.ts'
import { tempDir } from '../support/temp.ts'
import { requireTool } from '../support/needs.ts'
import { checkoutSpec } from '../fixtures/checkout-spec.ts'

// GET /api/v1/rules and /api/v1/dashboards/* over the real SLO catalog.

const dir = tempDir()
const sloDir = join(dir.path, 'slos')
const config = configSchema.parse({ storage: { dataDir: join(dir.path, 'data') } })
let storage: Storage
let catalog: SloCatalog
let api: ReturnType<typeof createApi>

const CHECKOUT = checkoutSpec('    name: CheckoutAvailability\n')
const SLOTH = `version: prometheus/v1
service: myservice
slos:
  - name: requests-availability
    objective: 99.5
    sli:
      events:
        error_query: sum(rate(http_requests_total{job="myservice",code=~"5.."}[{{.window}}]))
        total_query: sum(rate(http_requests_total{job="myservice"}[{{.window}}]))
    alerting: { name: MyServiceHighErrorRate }
`
const API_SLO = `apiVersion: cairn/v1
kind: SLO
metadata: { name: login, service: auth }
spec:
  objective: 99
  window: 7d
  sli: { logs: { service: auth, bad: { severity: error } } }
`

beforeAll(async () => {
  storage = await openMigratedStorage(config)
  const logger = createLogger('silent')
  catalog = await seedCatalog(storage, sloDir, { 'checkout.yaml': CHECKOUT, 'sloth.yaml': SLOTH }, logger)
  expect((await catalog.putFromApi('auth-login', API_SLO)).errors).toEqual([])
  api = createApi({ storage, logger, auth: createAuthorizer([]), catalog })
})
afterAll(async () => {
  await storage?.close()
  dir.remove()
})

describe('GET /api/v1/rules', () => {
  requireTool('promtool').it('serves the generated rule file of every SLO, which promtool accepts', async () => {
    const res = await api.request('/api/v1/rules')
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toBe('application/yaml; charset=utf-8')
    const text = await res.text()
    expect(text).toBe(generatePrometheusRules(await catalog.list()))
    expect(text).toContain('alert: CheckoutAvailability')
    expect(text).toContain('record: slo:sli_error:ratio_rate5m')
    const file = join(dir.path, 'rules.yaml')
    writeFileSync(file, text)
    const check = spawnSync('promtool', ['check', 'rules', file], { encoding: 'utf8' })
    expect(check.status, check.stdout + check.stderr).toBe(0)
  })

  it('serves one SLO with ?slo=, and 404 for an unknown one', async () => {
    const one = await (await api.request('/api/v1/rules?slo=myservice-requests-availability')).text()
    expect(one).toBe(generatePrometheusRules([(await catalog.get('myservice-requests-availability'))!]))
    expect(one).not.toContain('CheckoutAvailability')
    const missing = await api.request('/api/v1/rules?slo=nope')
    expect(missing.status).toBe(404)
    expect(await missing.json()).toEqual({ error: { code: 'not_found', message: 'no SLO with id "nope"' } })
    expect((await api.request('/api/v1/rules?slo=')).status).toBe(400)
  })
})

describe('GET /api/v1/dashboards', () => {
  const get = async (path: string) => {
    const res = await api.request(path)
    return { status: res.status, body: (await res.json()) as any }
  }

  it('serves an SLO dashboard in either flavour', async () => {
    const prom = await get('/api/v1/dashboards/slo/checkout-availability')
    expect(prom.status).toBe(200)
    expect(prom.body.uid).toBe('cairn-slo-checkout-availability-prom')
    expect(prom.body.panels.map((p: any) => p.title)).toEqual([
      'About this SLO', 'SLI against objective', 'Error budget remaining', 'Alert state', 'Last evaluated', 'Error budget burn-down', 'Burn rate per alert window', 'Good and bad events',
    ])
    const ch = await get('/api/v1/dashboards/slo/checkout-availability?datasource=clickhouse&datasourceUid=my-ch')
    expect(ch.body.uid).toBe('cairn-slo-checkout-availability-ch')
    expect(ch.body.panels.at(-1)).toMatchObject({ title: 'Warnings and errors of checkout', datasource: { type: 'grafana-clickhouse-datasource', uid: 'my-ch' } })
  })

  it('serves a service dashboard and the overview', async () => {
    const service = await get('/api/v1/dashboards/service/auth?datasource=clickhouse')
    expect(service.status).toBe(200)
    expect(service.body.title).toBe('Service: auth')
    expect(service.body.panels.filter((p: any) => p.type === 'row').map((p: any) => p.title)).toEqual(['auth-login', 'Telemetry of auth'])
    const overview = await get('/api/v1/dashboards/overview')
    expect(overview.body).toMatchObject({ uid: 'cairn-overview-prom', title: 'SLO overview' })
  })

  it.each([
    ['/api/v1/dashboards/slo/nope', 404, 'no SLO with id "nope"'],
    ['/api/v1/dashboards/service/nobody', 404, 'no SLO of service "nobody"'],
    ['/api/v1/dashboards/overview?datasource=loki', 400, 'query parameter datasource: expected prometheus or clickhouse'],
    ['/api/v1/dashboards/slo/checkout-availability?datasourceUid=a%20b', 400, 'query parameter datasourceUid: expected a Grafana data source uid (letters, digits, - and _, at most 40)'],
  ])('%s → %i', async (path, status, message) => {
    const res = await get(path)
    expect(res.status).toBe(status)
    expect(res.body.error.message).toBe(message)
  })
})

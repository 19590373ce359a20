import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { configSchema } from '../../config/index.ts'
import type { Storage } from '../../storage/index.ts'
import { createApi, createAuthorizer } from '../../api/index.ts'
import { sloStatus } from '../../api/status.ts'
import { staleAfterSeconds } from '../../alerts/index.ts'
import { ENGINE_TABLES, type SloCatalog } from '../../slo-engine/index.ts'
import { createLogger } from '../../instrumentation/index.ts'
import { slothSpecYaml } from '../fixtures/slos.ts'
import { openMigratedStorage, seedCatalog } from '../support/storage.ts'
import { tempDir } from '../support/temp.ts'

// /api/v1/slos: list with status, one SLO, history, validate, PUT and DELETE,
// over the real catalog, evaluation tables and alert state.

const dir = tempDir()
const sloDir = join(dir.path, 'slos')
const config = configSchema.parse({ storage: { dataDir: join(dir.path, 'data') } })
const ADMIN = 'slos-admin-token-0123456789'
const READ = 'slos-read-token-01234567890'
let storage: Storage
let catalog: SloCatalog
let api: ReturnType<typeof createApi>

const CHECKOUT = `apiVersion: cairn/v1
kind: SLO
metadata: { name: availability, service: checkout, labels: { team: payments } }
spec:
  description: Checkout requests succeed
  objective: 99.9
  window: 30d
  sli: { spans: { service: checkout, bad: error } }
`
const SLOTH = slothSpecYaml({ service: 'myservice', alertName: 'MyServiceHighErrorRate' })
const login = (objective: number, name = 'login') => `apiVersion: cairn/v1
kind: SLO
metadata: { name: ${name}, service: auth }
spec:
  objective: ${objective}
  window: 7d
  sli: { logs: { service: auth, bad: { severity: error } } }
`

const MINUTE = 60_000
const NOW = Math.floor(Date.now() / MINUTE) * MINUTE
const chTime = (ms: number) => new Date(ms).toISOString().replace('T', ' ').replace('Z', '')
/** Evaluations of checkout-availability every minute for the last 3 hours; the budget falls by 0.001 a minute. */
const evaluation = (i: number) => ({
  slo_id: 'checkout-availability', evaluated_at: chTime(NOW - (179 - i) * MINUTE), status: 'ok', objective: 0.999, sli: 0.9995,
  events_total: 100_000 + i, events_bad: 50, budget_total: 100, budget_consumed: 50, budget_remaining: 0.5 - i * 0.001,
  burn_rates: { '5m': 1.5, '1h': 0.5, window: 0.5 },
})

beforeAll(async () => {
  storage = await openMigratedStorage(config)
  const logger = createLogger('silent')
  catalog = await seedCatalog(storage, sloDir, { 'checkout.yaml': CHECKOUT, 'sloth.yaml': SLOTH }, logger)
  const rows = Array.from({ length: 180 }, (_, i) => evaluation(i))
  await storage.insertRows(ENGINE_TABLES.evaluations, rows)
  await storage.insertRows(ENGINE_TABLES.status, [rows.at(-1)!])
  await storage.insertRows('cairn_alert_state', [
    { slo_id: 'checkout-availability', severity: 'page', state: 'inactive', active_since: null, updated_at: chTime(NOW - 30 * MINUTE) },
    { slo_id: 'checkout-availability', severity: 'page', state: 'firing', active_since: chTime(NOW - 10 * MINUTE), updated_at: chTime(NOW - 10 * MINUTE) },
  ])
  api = createApi({ storage, logger, auth: createAuthorizer([{ token: ADMIN, roles: ['admin'] }, { token: READ, roles: ['read'] }]), catalog })
})
afterAll(async () => {
  await storage?.close()
  dir.remove()
})

async function call(method: string, path: string, options: { token?: string; body?: string; type?: string } = {}) {
  const headers: Record<string, string> = { authorization: `Bearer ${options.token ?? ADMIN}` }
  if (options.body !== undefined) headers['content-type'] = options.type ?? 'application/yaml'
  const res = await api.request(path, { method, headers, body: options.body })
  const text = await res.text()
  return { status: res.status, body: text ? (JSON.parse(text) as any) : undefined }
}

describe('GET /api/v1/slos', () => {
  it('lists every SLO with its status', async () => {
    const { status, body } = await call('GET', '/api/v1/slos', { token: READ })
    expect(status).toBe(200)
    expect(body.slos.map((s: any) => [s.id, s.managedBy, s.status.state])).toEqual([
      ['checkout-availability', 'file', 'ok'],
      ['myservice-requests-availability', 'file', 'not_computed'],
    ])
    expect(body.slos[0]).toEqual({
      id: 'checkout-availability', name: 'availability', service: 'checkout', description: 'Checkout requests succeed', labels: { team: 'payments' },
      objectivePercent: 99.9, window: '30d', sliKind: 'spans', managedBy: 'file',
      source: { format: 'cairn', file: join(sloDir, 'checkout.yaml'), line: 1, column: 1 },
      status: {
        state: 'ok', error: null, evaluatedAt: new Date(NOW).toISOString(), stale: false, sli: 0.9995, objective: 0.999,
        errorBudget: { total: 100, consumed: 50, remainingRatio: 0.5 - 179 * 0.001 }, events: { total: 100_179, bad: 50 },
        burnRates: { '5m': 1.5, '1h': 0.5, window: 0.5 },
        // 0.321 × 30d ÷ 0.5 (the 1h rate; no 1d) = 19.26d from now, within the 30d window.
        budgetExhaustedAt: new Date(NOW + 0.321 * 30 * 86_400_000 / 0.5).toISOString(),
        budgetForecast: { burnRate: 0.5, basis: '1h' },
        alerts: { page: { state: 'firing', activeSince: new Date(NOW - 10 * MINUTE).toISOString(), updatedAt: new Date(NOW - 10 * MINUTE).toISOString() } },
      },
    })
    expect(body.slos[1].status).toEqual({
      state: 'not_computed', error: null, evaluatedAt: null, stale: false, sli: null, objective: 0.995, errorBudget: { total: null, consumed: null, remainingRatio: null }, events: { total: null, bad: null }, burnRates: {}, budgetExhaustedAt: null, budgetForecast: { burnRate: null, basis: null }, alerts: {},
    })
  })
})

describe('the objective', () => {
  it('is the ratio without float noise, before and after the first evaluation (99.9 gives 0.999, not 0.9990000000000001)', async () => {
    const slo = (await catalog.list()).find((s) => s.id === 'checkout-availability')!
    expect(slo.objectivePercent).toBe(99.9)
    expect(sloStatus(slo, undefined, undefined).objective).toBe(0.999)
  })
})

describe('stale figures', () => {
  it('a status says stale once its evaluation is older than three engine intervals plus the settle delay (3m15s by default)', async () => {
    const slo = (await catalog.list()).find((s) => s.id === 'checkout-availability')!
    expect(staleAfterSeconds({ evaluationIntervalSeconds: 60, settleSeconds: 15 })).toBe(195)
    const staleAfterMs = staleAfterSeconds({ evaluationIntervalSeconds: 60, settleSeconds: 60 }) * 1000
    expect(staleAfterMs).toBe(240_000)
    const e = { sloId: slo.id, evaluatedAtMs: NOW, status: 'ok' as const, objectiveRatio: 0.999, sli: 1, eventsTotal: 1, eventsBad: 0, budgetTotal: 0.001, budgetConsumed: 0, budgetRemainingRatio: 1, burnRates: {} }
    expect(sloStatus(slo, e, undefined, { nowMs: NOW + 240_000, staleAfterMs }).stale).toBe(false)
    expect(sloStatus(slo, e, undefined, { nowMs: NOW + 241_000, staleAfterMs }).stale).toBe(true)
  })
})

describe('the status list cache', () => {
  it('serves one read for statusCacheMs, and PUT or DELETE clears it at once', async () => {
    const cachedApi = createApi({ storage, logger: createLogger('silent'), auth: createAuthorizer([]), catalog, statusCacheMs: 60_000 })
    const spec = (objective: number) => login(objective, 'probe').replace('service: auth', 'service: cache')
    const put = (objective: number) => cachedApi.request('/api/v1/slos/cache-probe', { method: 'PUT', headers: { 'content-type': 'application/yaml' }, body: spec(objective) })
    const probe = async () => ((await (await cachedApi.request('/api/v1/slos')).json()) as any).slos.find((s: any) => s.id === 'cache-probe')
    expect((await put(99)).status).toBe(201)
    expect((await probe()).status.state).toBe('pending')
    await storage.insertRows(ENGINE_TABLES.status, [{ ...evaluation(0), slo_id: 'cache-probe', budget_remaining: 0.25 }])
    expect((await probe()).status.state).toBe('pending') // still the cached answer
    expect((await put(98)).status).toBe(200)
    expect((await probe()).status).toMatchObject({ state: 'ok', errorBudget: { remainingRatio: 0.25 } })
    expect((await cachedApi.request('/api/v1/slos/cache-probe', { method: 'DELETE' })).status).toBe(204)
    expect(await probe()).toBeUndefined()
  })
})

describe('GET /api/v1/slos/{id}', () => {
  it('returns the spec in the model and the status', async () => {
    const { status, body } = await call('GET', '/api/v1/slos/checkout-availability')
    expect(status).toBe(200)
    expect(body.slo).toMatchObject({ id: 'checkout-availability', objectivePercent: 99.9, window: { kind: 'rolling', seconds: 30 * 86400 }, sli: { kind: 'spans', bad: { kind: 'error' } } })
    expect(body.managedBy).toBe('file')
    expect(body.status.errorBudget.remainingRatio).toBeCloseTo(0.321, 9)
  })

  it('answers 404 for an unknown id', async () => {
    expect(await call('GET', '/api/v1/slos/nope')).toEqual({ status: 404, body: { error: { code: 'not_found', message: 'no SLO with id "nope"' } } })
  })
})

describe('GET /api/v1/slos/{id}/history', () => {
  it('returns the last evaluation of each step, oldest first', async () => {
    const { status, body } = await call('GET', `/api/v1/slos/checkout-availability/history?from=${(NOW - 60 * MINUTE) / 1000}&to=${(NOW + 1) / 1000}&step=10m`)
    expect(status).toBe(200)
    expect(body.stepSeconds).toBe(600)
    const ends = body.evaluations.map((e: any) => Date.parse(e.evaluatedAt))
    expect(ends.every((t: number, i: number) => i === 0 || t > ends[i - 1])).toBe(true)
    // Each 10-minute step ends on its last evaluation (minute 9 of the step).
    for (const t of ends.slice(0, -1)) expect(new Date(t).getUTCMinutes() % 10).toBe(9)
    const last = body.evaluations.at(-1)
    expect(last).toEqual({
      evaluatedAt: new Date(NOW).toISOString(), status: 'ok', error: null, sli: 0.9995, objective: 0.999, eventsTotal: 100_179, eventsBad: 50,
      budgetTotal: 100, budgetConsumed: 50, budgetRemainingRatio: 0.5 - 179 * 0.001, burnRates: { '5m': 1.5, '1h': 0.5, window: 0.5 },
    })
  })

  it('defaults to the last 24 hours at a 5-minute step', async () => {
    const { body } = await call('GET', '/api/v1/slos/checkout-availability/history')
    expect(body.stepSeconds).toBe(300)
    expect(Date.parse(body.to) - Date.parse(body.from)).toBe(86_400_000)
    expect(body.evaluations.length).toBeGreaterThanOrEqual(36)
    expect(body.evaluations.length).toBeLessThanOrEqual(37)
  })

  it.each([
    ['step=0', 'query parameter step: expected a step between 1s and 366d (31622400s): a duration (5m) or seconds'],
    ['step=fast', 'query parameter step: expected a step between 1s and 366d (31622400s): a duration (5m) or seconds'],
    ['step=4294967296s', 'query parameter step: expected a step between 1s and 366d (31622400s): a duration (5m) or seconds'],
    ['to=99999999999999', 'query parameter to: expected a time between 1970-01-01T00:00:00.000Z and 2100-01-01T00:00:00.000Z (got "99999999999999")'],
    ['from=now-999999999d', 'query parameter from: expected a time between 1970-01-01T00:00:00.000Z and 2100-01-01T00:00:00.000Z (got "now-999999999d")'],
    ['from=last-week', 'query parameter from: expected a time: RFC 3339, Unix seconds, now, or now-<duration> (e.g. now-7d)'],
    ['from=now-7d&step=1s', 'the range holds 604800 steps of 1s, more than 11000: use a larger step or a shorter range'],
  ])('answers 400 for %s', async (query, message) => {
    expect(await call('GET', `/api/v1/slos/checkout-availability/history?${query}`)).toEqual({ status: 400, body: { error: { code: 'bad_request', message } } })
  })

  it('answers 400 when from is not before to, and 404 for an unknown SLO', async () => {
    expect((await call('GET', '/api/v1/slos/checkout-availability/history?from=now&to=now-1h')).status).toBe(400)
    expect((await call('GET', '/api/v1/slos/nope/history')).status).toBe(404)
  })
})

describe('POST /api/v1/slos/validate', () => {
  it('reports the SLOs of a valid body', async () => {
    expect(await call('POST', '/api/v1/slos/validate', { body: `${CHECKOUT}---\n${login(99)}`, token: READ })).toEqual({
      status: 200,
      body: { valid: true, errors: [], slos: [{ id: 'checkout-availability', service: 'checkout', name: 'availability', format: 'cairn' }, { id: 'auth-login', service: 'auth', name: 'login', format: 'cairn' }] },
    })
  })

  it('reports every error with its line and column', async () => {
    const { status, body } = await call('POST', '/api/v1/slos/validate', { body: login(999), type: 'text/plain' })
    expect(status).toBe(200)
    expect(body.valid).toBe(false)
    expect(body.errors).toHaveLength(1)
    expect(body.errors[0]).toMatchObject({ file: 'body', line: 5, column: 14 })
    expect(body.errors[0].message).toContain('objective')
    const broken = await call('POST', '/api/v1/slos/validate', { body: 'apiVersion: cairn/v1\nkind: [unclosed\n' })
    expect(broken.body.valid).toBe(false)
    expect(broken.body.errors[0]).toMatchObject({ file: 'body', line: expect.any(Number) })
  })

  it.each([
    ['', 'application/yaml', 400, 'bad_request'],
    ['  \n', 'application/yaml', 400, 'bad_request'],
    [CHECKOUT, 'application/xml', 415, 'unsupported_media_type'],
    [`# ${'x'.repeat(1024 * 1024)}\n${CHECKOUT}`, 'application/yaml', 413, 'payload_too_large'],
  ])('rejects a bad body (%#)', async (body, type, status, code) => {
    const res = await call('POST', '/api/v1/slos/validate', { body, type })
    expect(res.status).toBe(status)
    expect(res.body.error.code).toBe(code)
  })
  it('refuses a PUT body over 1 MiB with 413, storing nothing', async () => {
    const res = await call('PUT', '/api/v1/slos/auth-oversized', { body: `# ${'x'.repeat(1024 * 1024)}\n${login(99, 'oversized')}` })
    expect(res.status).toBe(413)
    expect(res.body.error.code).toBe('payload_too_large')
    expect(await catalog.get('auth-oversized')).toBeUndefined()
  })
  it('stops reading a chunked body over 1 MiB', async () => {
    const chunk = new TextEncoder().encode(`# ${'x'.repeat(64 * 1024)}\n`)
    let sent = 0
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent >= 4 * 1024 * 1024) return controller.close()
        sent += chunk.byteLength
        controller.enqueue(chunk)
      },
    })
    const res = await api.request('/api/v1/slos/validate', { method: 'POST', headers: { authorization: `Bearer ${READ}`, 'content-type': 'application/yaml' }, body, duplex: 'half' } as RequestInit)
    expect(res.status).toBe(413)
    expect(((await res.json()) as any).error.code).toBe('payload_too_large')
    expect(sent).toBeLessThan(2 * 1024 * 1024)
  })
})

describe('PUT and DELETE /api/v1/slos/{id}', () => {
  it('creates, replaces and deletes an API-managed SLO, and the list follows at once', async () => {
    const created = await call('PUT', '/api/v1/slos/auth-login', { body: login(99) })
    expect(created.status).toBe(201)
    expect(created.body).toMatchObject({ managedBy: 'api', slo: { id: 'auth-login', objectivePercent: 99 }, status: { state: 'pending' } })
    expect((await call('GET', '/api/v1/slos')).body.slos.map((s: any) => s.id)).toContain('auth-login')

    const replaced = await call('PUT', '/api/v1/slos/auth-login', { body: login(99.5) })
    expect(replaced.status).toBe(200)
    expect((await call('GET', '/api/v1/slos/auth-login')).body.slo.objectivePercent).toBe(99.5)

    expect(await call('DELETE', '/api/v1/slos/auth-login')).toEqual({ status: 204, body: undefined })
    expect((await call('GET', '/api/v1/slos/auth-login')).status).toBe(404)
    expect((await call('GET', '/api/v1/slos')).body.slos.map((s: any) => s.id)).not.toContain('auth-login')
    expect((await call('DELETE', '/api/v1/slos/auth-login')).status).toBe(404)
  })

  it('answers 400 with line-numbered details for an invalid spec, and stores nothing', async () => {
    const { status, body } = await call('PUT', '/api/v1/slos/auth-login', { body: login(0) })
    expect(status).toBe(400)
    expect(body.error.code).toBe('invalid_spec')
    expect(body.error.details[0]).toMatchObject({ file: 'api', line: 5, column: 14 })
    expect(body.error.message).toMatch(/^the spec is invalid: 5:14: /)
    expect((await call('GET', '/api/v1/slos/auth-login')).status).toBe(404)
  })

  it('answers 400 when the spec names another SLO than the path', async () => {
    const { status, body } = await call('PUT', '/api/v1/slos/auth-login', { body: login(99, 'logout') })
    expect(status).toBe(400)
    expect(body.error.message).toBe('the spec defines another SLO than the path names: 1:1: the document defines SLO "auth-logout", not "auth-login" (the id is <service>-<name>)')
  })

  it('answers 409 for ids defined in files: files win', async () => {
    const put = await call('PUT', '/api/v1/slos/checkout-availability', { body: CHECKOUT.replace('99.9', '95') })
    expect(put.status).toBe(409)
    expect(put.body.error.code).toBe('conflict')
    expect((await call('DELETE', '/api/v1/slos/checkout-availability')).status).toBe(409)
    expect((await call('GET', '/api/v1/slos/checkout-availability')).body.slo.objectivePercent).toBe(99.9)
  })

  it('needs the admin role to change, the read role to validate', async () => {
    expect((await call('PUT', '/api/v1/slos/auth-login', { body: login(99), token: READ })).status).toBe(403)
    expect((await call('DELETE', '/api/v1/slos/checkout-availability', { token: READ })).status).toBe(403)
    expect((await call('POST', '/api/v1/slos/validate', { body: login(99), token: READ })).status).toBe(200)
  })
})

describe('GET /openapi.json', () => {
  it('documents every route, its parameters, bodies and errors, from the same schemas', async () => {
    const res = await api.request('/openapi.json')
    const doc = (await res.json()) as any
    expect(doc.openapi).toBe('3.1.0')
    const routes = Object.entries(doc.paths).flatMap(([path, ops]: [string, any]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`)).sort()
    expect(routes).toEqual([
      'DELETE /api/v1/gate/overrides/{id}', 'DELETE /api/v1/slos/{id}', 'GET /api/v1/alerts/policies', 'GET /api/v1/alerts/{id}', 'GET /api/v1/dashboards/overview', 'GET /api/v1/dashboards/service/{service}', 'GET /api/v1/dashboards/slo/{id}',
      'GET /api/v1/gate', 'GET /api/v1/gate/overrides', 'GET /api/v1/logs', 'GET /api/v1/reports', 'GET /api/v1/rules', 'GET /api/v1/slos', 'GET /api/v1/slos/{id}', 'GET /api/v1/slos/{id}/attribution', 'GET /api/v1/slos/{id}/history', 'GET /api/v1/traces', 'GET /api/v1/traces/{traceId}',
      'GET /api/v1/trends/budget', 'POST /api/v1/gate/overrides', 'POST /api/v1/slos/validate', 'PUT /api/v1/slos/{id}',
    ])
    const history = doc.paths['/api/v1/slos/{id}/history'].get
    expect(history.parameters.map((p: any) => `${p.in}:${p.name}`).sort()).toEqual(['path:id', 'query:from', 'query:step', 'query:to'])
    expect(Object.keys(history.responses).sort()).toEqual(['200', '400', '404', '503'])
    expect(Object.keys(doc.paths['/api/v1/logs'].get.responses).sort()).toEqual(['200', '400', '422', '429', '503'])
    expect(Object.keys(doc.paths['/api/v1/slos/{id}'].put.requestBody.content)).toEqual(['application/yaml'])
    expect(doc.components.schemas.Error.properties.error.properties.code.type).toBe('string')
    expect(doc.components.schemas.SloStatus.properties.state.enum).toEqual(['ok', 'no_data', 'error', 'pending', 'not_computed'])
    expect(doc.components.schemas.SloStatus.properties.budgetExhaustedAt.type).toEqual(['string', 'null'])
    expect(doc.components.schemas.GateDecision.required).toEqual(['allow', 'reasons', 'slos'])
    expect(doc.paths['/api/v1/reports'].get.parameters.map((p: any) => p.name).sort()).toEqual(['end', 'label', 'period', 'service'])
    expect(doc.components.securitySchemes.bearer).toMatchObject({ type: 'http', scheme: 'bearer' })
    const logs = doc.paths['/api/v1/logs'].get.parameters.find((p: any) => p.name === 'limit')
    expect(logs.schema).toMatchObject({ type: 'integer', minimum: 1, maximum: 1000, default: 100 })
  })
})

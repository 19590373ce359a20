import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { configSchema } from '../../config/index.ts'
import type { Storage } from '../../storage/index.ts'
import { createApi, createAuthorizer } from '../../api/index.ts'
import { ENGINE_TABLES } from '../../slo-engine/index.ts'
import { GATE_OVERRIDES_TABLE } from '../../gate/index.ts'
import { createLogger } from '../../instrumentation/index.ts'
import { openMigratedStorage, seedCatalog } from '../support/storage.ts'
import { tempDir } from '../support/temp.ts'

// The deploy gate over the real catalog, evaluation and alert-state tables:
// every policy case (budget threshold from the default, the service and the
// SLO; paging; unknown states), overrides (who, why, until; revocation;
// expiry) and bad requests.

const dir = tempDir()
const sloDir = join(dir.path, 'slos')
const config = configSchema.parse({ storage: { dataDir: join(dir.path, 'data') }, gate: { services: { f: { freezeWhenUnknown: true } } } })
const ADMIN = 'gate-admin-token-0123456789'
const READ = 'gate-read-token-01234567890'
let storage: Storage
let api: ReturnType<typeof createApi>

const slo = (service: string, name: string, policy = '') => `apiVersion: cairn/v1
kind: SLO
metadata: { name: ${name}, service: ${service} }
spec:
  objective: 99
  window: 30d
  sli: { spans: { service: ${service}, bad: error } }
${policy ? `  policy: ${policy}\n` : ''}`

const MINUTE = 60_000
const NOW = Math.floor(Date.now() / MINUTE) * MINUTE
const chTime = (ms: number) => new Date(ms).toISOString().replace('T', ' ').replace('Z', '')
const status = (id: string, remaining: number | null, atMs = NOW, burnRates: Record<string, number> = { '1h': 1, '1d': 1, window: 1 }) => ({
  slo_id: id, evaluated_at: chTime(atMs), status: remaining === null ? 'no_data' : 'ok', objective: 0.99, sli: remaining === null ? null : 0.995,
  events_total: remaining === null ? 0 : 1000, events_bad: 5, budget_total: 10, budget_consumed: 5, budget_remaining: remaining, burn_rates: remaining === null ? {} : burnRates,
})
const firing = (id: string) => ({ slo_id: id, severity: 'page', state: 'firing', active_since: chTime(NOW - 5 * MINUTE), updated_at: chTime(NOW - 5 * MINUTE) })

beforeAll(async () => {
  storage = await openMigratedStorage(config)
  const logger = createLogger('silent')
  const catalog = await seedCatalog(storage, sloDir, {
    'specs.yaml': [
      slo('a', 'ok'),
      slo('b', 'ok'),
      slo('b', 'spent'),
      slo('c', 'paging'),
      slo('d', 'strict', '{ freezeWhenRemainingBelow: 60% }'),
      slo('e', 'nodata'),
      slo('e', 'pending'),
      slo('e', 'stale'),
      slo('f', 'nodata'),
      slo('g', 'paging', '{ freezeWhilePaging: false }'),
    ].join('---\n'),
  })
  await storage.insertRows(ENGINE_TABLES.status, [
    status('a-ok', 0.5),
    status('b-ok', 0.5),
    status('b-spent', -0.2, NOW, { '1h': 2, '1d': 1.5, window: 1.2 }),
    status('c-paging', 0.8),
    status('d-strict', 0.5),
    status('e-nodata', null),
    status('e-stale', -1, NOW - 2 * 3_600_000),
    status('f-nodata', null),
    status('g-paging', 0.9),
  ])
  await storage.insertRows('cairn_alert_state', [firing('c-paging'), firing('g-paging')])
  api = createApi({ storage, logger, auth: createAuthorizer([{ name: 'release-bot', token: ADMIN, roles: ['admin'] }, { token: READ, roles: ['read'] }]), catalog, gate: config.gate })
})
afterAll(async () => {
  await storage?.close()
  dir.remove()
})

async function call(method: string, path: string, options: { token?: string; json?: unknown } = {}) {
  const headers: Record<string, string> = { authorization: `Bearer ${options.token ?? READ}` }
  if (options.json !== undefined) headers['content-type'] = 'application/json'
  const res = await api.request(path, { method, headers, body: options.json === undefined ? undefined : JSON.stringify(options.json) })
  const text = await res.text()
  return { status: res.status, body: text ? (JSON.parse(text) as any) : undefined }
}
const gate = async (query: string) => (await call('GET', `/api/v1/gate?${query}`)).body

describe('GET /api/v1/gate: policy cases', () => {
  it('allows a service whose budget is left and that is not paging, and says why', async () => {
    const { status, body } = await call('GET', '/api/v1/gate?service=a')
    expect(status).toBe(200)
    expect(body.allow).toBe(true)
    expect(body.reasons).toEqual(['a-ok: 50% of the error budget remaining (freeze below 0%), not paging'])
    expect(body.slos).toEqual([
      {
        id: 'a-ok', service: 'a', state: 'ok', frozen: false, overridden: false, remainingRatio: 0.5,
        // 0.5 × 30d ÷ 1 = 15d, within the window.
        budgetExhaustedAt: new Date(NOW + 15 * 86_400_000).toISOString(),
        paging: false, evaluatedAt: new Date(NOW).toISOString(),
        policy: { freezeWhenRemainingBelow: 0, freezeWhilePaging: true, freezeWhenUnknown: false, sources: { freezeWhenRemainingBelow: 'default', freezeWhilePaging: 'default', freezeWhenUnknown: 'default' } },
        reasons: ['a-ok: 50% of the error budget remaining (freeze below 0%), not paging'], overrideId: null,
      },
    ])
  })

  it('refuses a service when one SLO has overspent (default 0%), the refusal first', async () => {
    const body = await gate('service=b')
    expect(body.allow).toBe(false)
    expect(body.reasons).toEqual([
      'b-spent: error budget -20% remaining, below the freeze threshold of 0%',
      'b-ok: 50% of the error budget remaining (freeze below 0%), not paging',
    ])
    // Spent: the past instant at the window average, −0.2 × 30d ÷ 1.2 = −5d.
    expect(body.slos.find((s: any) => s.id === 'b-spent')).toMatchObject({ frozen: true, budgetExhaustedAt: new Date(NOW - 5 * 86_400_000).toISOString() })
  })

  it('refuses while the page alert fires (freezeWhilePaging, default on), asked by SLO id', async () => {
    const body = await gate('slo=c-paging')
    expect(body).toMatchObject({ allow: false, reasons: ['c-paging: its page alert is firing (freezeWhilePaging)'] })
    expect(body.slos[0].paging).toBe(true)
  })

  it("applies the SLO's own threshold (spec.policy: 60%)", async () => {
    const body = await gate('service=d')
    expect(body.allow).toBe(false)
    expect(body.reasons).toEqual(['d-strict: error budget 50% remaining, below the freeze threshold of 60%'])
    expect(body.slos[0].policy).toMatchObject({ freezeWhenRemainingBelow: 0.6, sources: { freezeWhenRemainingBelow: 'slo', freezeWhilePaging: 'default' } })
  })

  it('lets an SLO that pages through when its policy turns freezeWhilePaging off', async () => {
    const body = await gate('service=g')
    expect(body).toMatchObject({ allow: true, reasons: ['g-paging: 90% of the error budget remaining (freeze below 0%), page alert firing but freezeWhilePaging is off'] })
  })

  it('allows unknown SLOs (no data, not evaluated, stale evaluation) by default, naming each', async () => {
    const body = await gate('service=e')
    expect(body.allow).toBe(true)
    expect(body.reasons).toEqual([
      'e-nodata: allowed while unknown, no events in its window (freezeWhenUnknown is off)',
      'e-pending: allowed while unknown, not evaluated yet (freezeWhenUnknown is off)',
      'e-stale: allowed while unknown, its latest evaluation is stale (the engine has stopped evaluating it) (freezeWhenUnknown is off)',
    ])
    expect(body.slos.map((s: any) => [s.id, s.state, s.budgetExhaustedAt])).toEqual([['e-nodata', 'no_data', null], ['e-pending', 'pending', null], ['e-stale', 'stale', null]])
  })

  it("refuses unknown SLOs under the service's policy (gate.services.f.freezeWhenUnknown)", async () => {
    const body = await gate('service=f')
    expect(body.allow).toBe(false)
    expect(body.reasons).toEqual(['f-nodata: unknown, no events in its window, and freezeWhenUnknown is on'])
    expect(body.slos[0].policy.sources.freezeWhenUnknown).toBe('service')
  })

  it('answers 400 without exactly one of service and slo, 404 for an unknown one', async () => {
    const message = 'expected exactly one of the query parameters service and slo'
    expect(await call('GET', '/api/v1/gate')).toEqual({ status: 400, body: { error: { code: 'bad_request', message } } })
    expect(await call('GET', '/api/v1/gate?service=a&slo=a-ok')).toEqual({ status: 400, body: { error: { code: 'bad_request', message } } })
    expect((await call('GET', '/api/v1/gate?service=nope')).status).toBe(404)
    expect(await call('GET', '/api/v1/gate?slo=nope')).toEqual({ status: 404, body: { error: { code: 'not_found', message: 'no SLO with id "nope"' } } })
  })
})

describe('gate overrides', () => {
  it('opens a frozen service with who, why and until; is listed; says so in every reason; revocation closes it again', async () => {
    expect((await call('POST', '/api/v1/gate/overrides', { json: { service: 'b', who: 'alice', why: 'INC-42 hotfix', until: '1h' } })).status).toBe(403) // read token
    const created = await call('POST', '/api/v1/gate/overrides', { token: ADMIN, json: { service: 'b', who: 'alice', why: 'INC-42 hotfix', until: '1h' } })
    expect(created.status).toBe(201)
    const o = created.body
    expect(o).toMatchObject({ service: 'b', slo: null, who: 'alice', why: 'INC-42 hotfix', createdBy: 'release-bot', revokedAt: null, active: true })
    expect(Date.parse(o.until) - Date.parse(o.createdAt)).toBe(3_600_000)

    const opened = await gate('service=b')
    expect(opened.allow).toBe(true)
    expect(opened.reasons[0]).toBe(`b-spent: error budget -20% remaining, below the freeze threshold of 0%; opened by override ${o.id} by alice until ${o.until}: INC-42 hotfix`)
    expect(opened.slos.find((s: any) => s.id === 'b-spent')).toMatchObject({ frozen: true, overridden: true, overrideId: o.id })
    // Another service is not opened by it.
    expect((await gate('service=c')).allow).toBe(false)

    expect((await call('GET', '/api/v1/gate/overrides?service=b&active=true')).body.overrides.map((x: any) => x.id)).toEqual([o.id])

    const revoked = await call('DELETE', `/api/v1/gate/overrides/${o.id}`, { token: ADMIN })
    expect(revoked).toMatchObject({ status: 200, body: { id: o.id, active: false, revokedBy: 'release-bot' } })
    expect((await gate('service=b')).allow).toBe(false)
    // The record stays, revoked.
    const all = (await call('GET', '/api/v1/gate/overrides?service=b')).body.overrides
    expect(all).toEqual([expect.objectContaining({ id: o.id, who: 'alice', active: false, revokedAt: expect.any(String) })])
    expect((await call('GET', '/api/v1/gate/overrides?service=b&active=true')).body.overrides).toEqual([])
    expect((await call('DELETE', '/api/v1/gate/overrides/nope', { token: ADMIN })).status).toBe(404)
  })

  it('opens one SLO only when it names the SLO', async () => {
    const created = await call('POST', '/api/v1/gate/overrides', { token: ADMIN, json: { slo: 'd-strict', who: 'bob', why: 'CHG-7', until: new Date(NOW + 3 * 3_600_000).toISOString() } })
    expect(created).toMatchObject({ status: 201, body: { service: 'd', slo: 'd-strict' } })
    const body = await gate('slo=d-strict')
    expect(body.allow).toBe(true)
    expect(body.reasons[0]).toContain(`opened by override ${created.body.id} by bob`)
  })

  it('stops counting at until: an expired override opens nothing', async () => {
    await storage.insertRows(GATE_OVERRIDES_TABLE, [
      { id: 'expired-1', service: 'c', slo_id: '', who: 'carol', why: 'old', created_by: 'release-bot', created_at: NOW - 2 * 3_600_000, until: NOW - 1000, revoked_at: null, revoked_by: '', updated_at: NOW - 2 * 3_600_000 },
    ])
    expect(await gate('service=c')).toMatchObject({ allow: false, reasons: ['c-paging: its page alert is firing (freezeWhilePaging)'] })
    const listed = (await call('GET', '/api/v1/gate/overrides?service=c')).body.overrides
    expect(listed).toEqual([expect.objectContaining({ id: 'expired-1', active: false, revokedAt: null })])
  })

  it('refuses overrides without who or why, ending in the past or too far ahead, or for nothing known', async () => {
    const post = (json: unknown) => call('POST', '/api/v1/gate/overrides', { token: ADMIN, json })
    expect(await post({ service: 'b', why: 'x', until: '1h' })).toMatchObject({ status: 400, body: { error: { message: expect.stringContaining('who') } } })
    expect(await post({ service: 'b', who: '  ', why: 'x', until: '1h' })).toMatchObject({ status: 400 })
    expect(await post({ service: 'b', who: 'a', why: 'x', until: '2020-01-01T00:00:00Z' })).toMatchObject({ status: 400, body: { error: { message: 'until: 2020-01-01T00:00:00.000Z is not in the future' } } })
    expect(await post({ service: 'b', who: 'a', why: 'x', until: '8d' })).toMatchObject({ status: 400, body: { error: { message: expect.stringContaining('gate.maxOverrideSeconds') } } })
    expect(await post({ service: 'b', who: 'a', why: 'x', until: 'soon' })).toMatchObject({ status: 400 })
    expect(await post({ service: 'b', slo: 'b-ok', who: 'a', why: 'x', until: '1h' })).toMatchObject({ status: 400, body: { error: { message: expect.stringContaining('exactly one of service or slo') } } })
    expect(await post({ service: 'nope', who: 'a', why: 'x', until: '1h' })).toMatchObject({ status: 404 })
    const raw = async (body: string, type: string) => {
      const res = await api.request('/api/v1/gate/overrides', { method: 'POST', headers: { authorization: `Bearer ${ADMIN}`, 'content-type': type }, body })
      return { status: res.status, body: (await res.json()) as any }
    }
    expect(await raw('{"service": "b", ', 'application/json')).toMatchObject({ status: 400, body: { error: { code: 'bad_request' } } })
    expect((await raw('service=b', 'text/plain')).status).toBe(415)
    // Nothing of the refused requests was stored.
    expect((await call('GET', '/api/v1/gate/overrides?service=nope')).body.overrides).toEqual([])
  })
})

import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { runCairn, startCairn, type CairnServer } from '../support/cairn-process.ts'
import { freePort } from '../support/ports.ts'
import { tempDir } from '../support/temp.ts'

// `cairn gate` against a real `cairn serve`: spans over OTLP overspend one
// service's budget (the engine evaluates every second), another service's SLO
// is not evaluated yet; the CLI's exit codes are 0 allowed, 1 refused, 2 when
// it cannot ask or the answer is an error.

const dir = tempDir()
let cairn: CairnServer
const ADMIN = 'gate-cli-admin-token-0123456789'
const READ = 'gate-cli-read-token-01234567890'

const spec = (service: string, policy = '') => `apiVersion: cairn/v1
kind: SLO
metadata: { name: api, service: ${service} }
spec:
  objective: 90
  window: 1d
  sli: { spans: { service: ${service}, spanKind: Server, bad: error } }
${policy ? `  policy: ${policy}\n` : ''}`

function spans(service: string) {
  const startNs = BigInt(Date.now() - 120_000) * 1_000_000n
  return {
    resourceSpans: [{
      resource: { attributes: [{ key: 'service.name', value: { stringValue: service } }] },
      scopeSpans: [{
        scope: { name: 'test' },
        spans: Array.from({ length: 10 }, (_, i) => ({
          traceId: '1af7651916cd43dd8448eb211c80319c', spanId: (i + 1).toString(16).padStart(16, '0'), name: 'GET /', kind: 2,
          startTimeUnixNano: (startNs + BigInt(i) * 1_000_000n).toString(), endTimeUnixNano: (startNs + BigInt(i) * 1_000_000n + 5_000_000n).toString(),
          status: { code: i < 2 ? 2 : 1 },
        })),
      }],
    }],
  }
}

beforeAll(async () => {
  const slos = join(dir.path, 'slos')
  mkdirSync(slos)
  writeFileSync(join(slos, 'specs.yaml'), [spec('shop'), spec('calm'), spec('strict', '{ freezeWhenUnknown: true }')].join('---\n'))
  cairn = await startCairn({ CAIRN_DATA_DIR: join(dir.path, 'data'), CAIRN_SLO_DIR: slos, CAIRN_EVAL_SCHEDULE: '* * * * * *', CAIRN_API_TOKENS: `admin:${ADMIN},read:${READ}`, CAIRN_GATE_FREEZE_BELOW: '5%' })
})
afterAll(async () => {
  await cairn?.stop()
  dir.remove()
})

const gate = (args: string[], env: Record<string, string> = {}) => runCairn(['gate', ...args], env)
const asReader = () => ['--url', cairn.apiUrl, '--token', READ]

describe('cairn gate', () => {
  it('exits 0 and prints the reasons when the deploy may go', async () => {
    const run = await gate(['--service', 'calm', ...asReader()])
    expect(run.code).toBe(0)
    // Without telemetry: not evaluated yet, or (the engine ticks every second) no events in its window.
    expect(run.stdout).toMatch(/^ {2}calm-api: allowed while unknown, (not evaluated yet|no events in its window) \(freezeWhenUnknown is off\)\ndeploy allowed\n$/)
  })

  it('reads the URL and token from CAIRN_URL and CAIRN_TOKEN', async () => {
    expect((await gate(['--slo', 'calm-api'], { CAIRN_URL: cairn.apiUrl, CAIRN_TOKEN: READ })).code).toBe(0)
  })

  it("exits 1 when the SLO's policy freezes while unknown", async () => {
    const run = await gate(['--service', 'strict', ...asReader()])
    expect(run.code).toBe(1)
    expect(run.stdout).toMatch(/strict-api: unknown, (not evaluated yet|no events in its window), and freezeWhenUnknown is on/)
    expect(run.stdout).toContain('deploy refused')
  })

  it('exits 1 once ingested errors overspend the budget, and 0 under an override that says who, why and until', async () => {
    const sent = await fetch(`${cairn.otlpUrl}/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${ADMIN}` }, body: JSON.stringify(spans('shop')) })
    expect(sent.status).toBe(200)
    await vi.waitFor(
      async () => {
        const body = (await (await fetch(`${cairn.apiUrl}/api/v1/slos/shop-api`, { headers: { authorization: `Bearer ${READ}` } })).json()) as any
        expect(body.status?.events?.total).toBe(10)
      },
      { timeout: 45_000, interval: 250 },
    )
    // 2 bad of 10 against a 10% budget of 1: remaining 1 − 2 = −100%; the threshold is CAIRN_GATE_FREEZE_BELOW's.
    const refused = await gate(['--service', 'shop', ...asReader()])
    expect(refused.code).toBe(1)
    expect(refused.stdout).toBe('  shop-api: error budget -100% remaining, below the freeze threshold of 5%\ndeploy refused: the error-budget policy freezes this service\n')

    const created = await fetch(`${cairn.apiUrl}/api/v1/gate/overrides`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${ADMIN}` },
      body: JSON.stringify({ service: 'shop', who: 'dana', why: 'rollback of 1.4.2', until: '30m' }),
    })
    expect(created.status).toBe(201)
    const override = (await created.json()) as { id: string; until: string }
    const opened = await gate(['--service', 'shop', ...asReader(), '--json'])
    expect(opened.code).toBe(0)
    const decision = JSON.parse(opened.stdout)
    expect(decision.allow).toBe(true)
    expect(decision.reasons).toEqual([`shop-api: error budget -100% remaining, below the freeze threshold of 5%; opened by override ${override.id} by dana until ${override.until}: rollback of 1.4.2`])
  }, 60_000)

  it('exits 2 on usage errors, with the usage', async () => {
    for (const args of [[], ['--service', 'a', '--slo', 'b'], ['--service'], ['--service', 'a', '--bogus'], ['--service', 'a', '--url', 'ftp://x'], ['--service', 'a', '--timeout', 'soon']]) {
      const run = await gate(args)
      expect(run.code, args.join(' ')).toBe(2)
      expect(run.stderr).toMatch(/^cairn: /)
    }
  })

  it('exits 2 when cairn cannot be reached, refuses the token, or knows no such service', async () => {
    const closed = await freePort()
    const unreachable = await gate(['--service', 'shop', '--url', `http://127.0.0.1:${closed}`])
    expect(unreachable).toMatchObject({ code: 2, stderr: `cairn gate: cannot reach cairn at http://127.0.0.1:${closed}: ECONNREFUSED\n` })
    const unauthorized = await gate(['--service', 'shop', '--url', cairn.apiUrl, '--token', 'not-a-token-0123456789'])
    expect(unauthorized.code).toBe(2)
    expect(unauthorized.stderr).toContain('answered HTTP 401')
    const unknown = await gate(['--service', 'nope', ...asReader()])
    expect(unknown.code).toBe(2)
    expect(unknown.stderr).toContain('answered HTTP 404: no SLO of service "nope"')
  })
})

import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { createNotifier } from '../../alerts/notify/notifiers.ts'
import type { AlertNotice } from '../../alerts/notify/notice.ts'
import type { NotifyTarget } from '../../slo-engine/index.ts'
import { startHttpRecorder, type HttpRecorder } from '../support/http-recorder.ts'

// What cairn sends to notification targets, checked on real local HTTP
// servers: secrets referenced by environment variable, secrets cut out of
// error texts, redirects not followed, and answers read only so far.

const retry = { attempts: 1, initialBackoffMs: 10, maxBackoffMs: 10, timeoutMs: 10_000 }
const notice: AlertNotice = {
  key: 'checkout-availability/page', status: 'firing', sloId: 'checkout-availability', service: 'checkout', severity: 'page',
  labels: { alertname: 'SloBudgetBurn', severity: 'page' }, annotations: { summary: 'burning' }, firedAtMs: Date.UTC(2026, 0, 1), endsAtMs: Date.UTC(2026, 0, 1, 0, 5),
}
const send = (target: NotifyTarget) => createNotifier(target, { retry }).send([notice])

const open: { close(): Promise<void> }[] = []
async function recorder(...args: Parameters<typeof startHttpRecorder>): Promise<HttpRecorder> {
  const r = await startHttpRecorder(...args)
  open.push(r)
  return r
}
afterEach(async () => {
  for (const r of open.splice(0)) await r.close()
  delete process.env.CAIRN_TEST_PD_KEY
  delete process.env.CAIRN_TEST_HOOK_TOKEN
})

describe('secrets referenced by environment variable', () => {
  it('sends the PagerDuty routing key read from the variable the spec names', async () => {
    const pd = await recorder(() => ({ status: 202 }))
    process.env.CAIRN_TEST_PD_KEY = 'pd-key-from-env-0123456789'
    const result = await send({ type: 'pagerduty', routingKey: { env: 'CAIRN_TEST_PD_KEY' }, url: `${pd.url}/v2/enqueue` })
    expect(result).toMatchObject({ ok: true, attempts: 1 })
    expect(pd.requests[0]!.body).toMatchObject({ routing_key: 'pd-key-from-env-0123456789', event_action: 'trigger' })
  })

  it('sends webhook header values from variables and inline', async () => {
    const hook = await recorder(() => ({ status: 200 }))
    process.env.CAIRN_TEST_HOOK_TOKEN = 'hook-token-from-env'
    const result = await send({ type: 'webhook', url: `${hook.url}/slo`, headers: { Authorization: { env: 'CAIRN_TEST_HOOK_TOKEN' }, 'X-Team': 'payments' } })
    expect(result.ok).toBe(true)
    expect(hook.requests[0]!.headers).toMatchObject({ authorization: 'hook-token-from-env', 'x-team': 'payments' })
  })

  it('fails the delivery, naming the variable and sending nothing, when the variable is not set', async () => {
    const pd = await recorder(() => ({ status: 202 }))
    const result = await send({ type: 'pagerduty', routingKey: { env: 'CAIRN_TEST_PD_KEY' }, url: pd.url })
    expect(result).toEqual({ ok: false, attempts: 0, error: 'PagerDuty routing key: environment variable CAIRN_TEST_PD_KEY is not set in the process that sends alerts' })
    expect(pd.requests).toHaveLength(0)
  })

  it('cuts the secret out of an error text the target echoes back', async () => {
    const pd = await recorder((req) => ({ status: 400, body: { message: 'bad key', echoed: (req.body as { routing_key: string }).routing_key } }))
    const result = await send({ type: 'pagerduty', routingKey: 'inline-secret-key-abcdef', url: pd.url })
    expect(result.ok).toBe(false)
    expect(result.error).toContain('<redacted>')
    expect(result.error).not.toContain('inline-secret-key-abcdef')
  })
})

describe('outbound HTTP', () => {
  it('does not follow a redirect: the payload never reaches the host redirected to', async () => {
    const elsewhere = await recorder(() => ({ status: 200 }))
    const redirecting = await recorder(() => ({ status: 307, headers: { location: `${elsewhere.url}/stolen` } }))
    const result = await send({ type: 'webhook', url: `${redirecting.url}/slo`, headers: { 'X-Token': 'secret-header' } })
    expect(result).toMatchObject({ ok: false, attempts: 1, status: 307, error: expect.stringMatching(/redirects are not followed/) })
    expect(redirecting.requests).toHaveLength(1)
    expect(elsewhere.requests).toHaveLength(0)
  })

  it('reads only the start of an answer: a target streaming an endless error body does not hold the delivery', async () => {
    let written = 0
    const endless: Server = createServer((req, res) => {
      req.resume()
      res.writeHead(500, { 'content-type': 'text/plain' })
      const chunk = Buffer.alloc(64 * 1024, 'e')
      const pump = () => {
        while (!res.destroyed && res.write(chunk)) written += chunk.length
        if (!res.destroyed) res.once('drain', pump)
      }
      pump()
    })
    await new Promise<void>((resolve) => endless.listen(0, '127.0.0.1', resolve))
    open.push({ close: () => new Promise<void>((resolve) => (endless.closeAllConnections(), endless.close(() => resolve()))) })
    const started = Date.now()
    const result = await send({ type: 'webhook', url: `http://127.0.0.1:${(endless.address() as AddressInfo).port}/slo` })
    // Well within the 10 s request timeout: the delivery stopped reading, it did not wait for the end.
    expect(Date.now() - started).toBeLessThan(3000)
    expect(result).toMatchObject({ ok: false, status: 500 })
    expect(result.error).toMatch(/^HTTP 500: e{300}…$/)
    expect(written).toBeLessThan(64 * 1024 * 1024)
  })
})

describe('credentials in a target URL', () => {
  it('are sent as HTTP Basic authorization to the URL without them, never in the URL', async () => {
    const am = await recorder(() => ({ status: 200 }))
    const port = new URL(am.url).port
    const result = await send({ type: 'alertmanager', url: `http://cairn:s3cr%40t@127.0.0.1:${port}` })
    expect(result.ok).toBe(true)
    expect(am.requests[0]!.path).toBe('/api/v2/alerts')
    expect(am.requests[0]!.headers.authorization).toBe(`Basic ${Buffer.from('cairn:s3cr@t').toString('base64')}`)
  })
})

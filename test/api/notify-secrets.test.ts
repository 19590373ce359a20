import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { notifyUrlAllowlist } from '../../alerts/index.ts'
import { configSchema } from '../../config/index.ts'
import type { Storage } from '../../storage/index.ts'
import { createApi, createAuthorizer } from '../../api/index.ts'
import { createSloCatalog } from '../../slo-engine/index.ts'
import { createLogger } from '../../instrumentation/index.ts'
import { openMigratedStorage } from '../support/storage.ts'
import { tempDir } from '../support/temp.ts'
import { checkoutSpec } from '../fixtures/checkout-spec.ts'
import { mkdirSync, writeFileSync } from 'node:fs'

// Notification targets in SLO specs through the API: their secrets are never
// shown to readers, and their URLs must be on the allow-list, checked at
// validate, PUT and file load alike.

const dir = tempDir()
const config = configSchema.parse({
  storage: { dataDir: join(dir.path, 'data') },
  alerts: { webhookUrl: 'https://hooks.example.com/global', notifyUrlAllowlist: 'https://hooks.example.com/teams/, http://alertmanager.internal:9093' },
})
const parseOptions = { checkNotifyUrl: notifyUrlAllowlist(config.alerts).check }
const logger = createLogger('silent')
let storage: Storage
let api: ReturnType<typeof createApi>

const spec = (notify: string) => checkoutSpec(`    notify:\n${notify}\n`)
const SECRET_TARGETS = `      - { type: pagerduty, routingKey: inline-routing-key-0123456789 }
      - { type: pagerduty, routingKey: { env: PD_CHECKOUT_KEY } }
      - type: webhook
        url: https://hook-user:hook-password@hooks.example.com/teams/payments?token=query-secret
        headers: { Authorization: Bearer header-secret-value, X-Other: { env: HOOK_OTHER } }
      - { type: alertmanager, url: http://alertmanager.internal:9093 }`
const SECRETS = ['inline-routing-key-0123456789', 'hook-password', 'query-secret', 'header-secret-value']

async function call(method: string, path: string, body?: string) {
  const res = await api.request(path, { method, body, headers: body ? { 'content-type': 'application/yaml' } : {} })
  const text = await res.text()
  return { status: res.status, text, body: JSON.parse(text) as Record<string, any> }
}

beforeAll(async () => {
  storage = await openMigratedStorage(config)
  const catalog = createSloCatalog({ storage, sloDir: undefined, logger, parseOptions })
  api = createApi({ storage, logger, auth: createAuthorizer([]), catalog, parseOptions })
}, 60_000)
afterAll(async () => {
  await storage?.close()
  dir.remove()
})

describe('notification secrets in the API', () => {
  it('never returns routing keys, header values or URL credentials: PUT and GET show placeholders or the variable name', async () => {
    const put = await call('PUT', '/api/v1/slos/checkout-availability', spec(SECRET_TARGETS))
    expect(put.status).toBe(201)
    const got = await call('GET', '/api/v1/slos/checkout-availability')
    expect(got.status).toBe(200)
    for (const answer of [put.text, got.text]) for (const secret of SECRETS) expect(answer).not.toContain(secret)
    expect(got.body.slo.alerting.notify).toEqual([
      { type: 'pagerduty', routingKey: '<redacted>' },
      { type: 'pagerduty', routingKey: { env: 'PD_CHECKOUT_KEY' } },
      { type: 'webhook', url: 'https://redacted@hooks.example.com/teams/payments?token=redacted', headers: { Authorization: '<redacted>', 'X-Other': { env: 'HOOK_OTHER' } } },
      { type: 'alertmanager', url: 'http://alertmanager.internal:9093/' },
    ])
  })

  it('refuses an env reference that is not a variable name', async () => {
    const res = await call('POST', '/api/v1/slos/validate', spec('      - { type: pagerduty, routingKey: { env: "not a name" } }'))
    expect(res.body.valid).toBe(false)
    expect(res.body.errors[0].message).toMatch(/expected an environment variable name/)
  })
})

describe('the notification URL allow-list', () => {
  const OUTSIDE = '      - { type: webhook, url: "http://169.254.169.254/latest/meta-data" }'
  const message =
    'spec.alerting.notify[0].url: http://169.254.169.254/latest/meta-data is not an allowed notification URL ' +
    '(allowed: https://events.pagerduty.com/v2/enqueue, https://hooks.example.com/global, https://hooks.example.com/teams/, http://alertmanager.internal:9093/); ' +
    'add it to alerts.notifyUrlAllowlist (CAIRN_NOTIFY_URL_ALLOWLIST)'

  it('refuses a URL outside it at validate, naming the key, its position, the list and the setting', async () => {
    const res = await call('POST', '/api/v1/slos/validate', spec(OUTSIDE))
    expect(res.body.valid).toBe(false)
    expect(res.body.errors).toHaveLength(1)
    expect(res.body.errors[0]).toEqual({ file: 'body', line: 10, column: 31, message })
  })

  it('refuses it at PUT with a 400 and stores nothing', async () => {
    const res = await call('PUT', '/api/v1/slos/checkout-latency', checkoutSpec(`    notify:\n${OUTSIDE}\n`, 'latency'))
    expect(res.status).toBe(400)
    expect(res.body.error.code).toBe('invalid_spec')
    expect(res.body.error.message).toContain('is not an allowed notification URL')
    expect((await call('GET', '/api/v1/slos/checkout-latency')).status).toBe(404)
  })

  it('admits paths under an entry and the global targets, not a sibling path or another port', async () => {
    const ok = await call('POST', '/api/v1/slos/validate', spec('      - { type: webhook, url: https://hooks.example.com/teams/search/x }\n      - { type: webhook, url: https://hooks.example.com/global }'))
    expect(ok.body).toMatchObject({ valid: true })
    const refused = await call('POST', '/api/v1/slos/validate', spec('      - { type: webhook, url: https://hooks.example.com/teamsx }\n      - { type: alertmanager, url: http://alertmanager.internal:9094 }'))
    expect(refused.body.errors.map((e: { message: string }) => e.message.split(':')[0])).toEqual(['spec.alerting.notify[0].url', 'spec.alerting.notify[1].url'])
  })

  it('refuses it at file load: the file is reported and its SLO not loaded', async () => {
    const sloDir = join(dir.path, 'slos')
    mkdirSync(sloDir, { recursive: true })
    writeFileSync(join(sloDir, 'outside.yaml'), checkoutSpec(`    notify:\n${OUTSIDE}\n`, 'from-file'))
    const files = createSloCatalog({ storage, sloDir, logger, parseOptions })
    const { errors } = await files.syncFiles()
    expect(errors).toHaveLength(1)
    expect(errors[0]).toMatchObject({ file: join(sloDir, 'outside.yaml'), line: 10, message: expect.stringContaining('is not an allowed notification URL') })
    expect(await files.get('checkout-from-file')).toBeUndefined()
  })
})

describe('spec errors about secrets', () => {
  it('name the key without echoing the value', async () => {
    const res = await call('POST', '/api/v1/slos/validate', spec('      - { type: webhook, url: https://hooks.example.com/global, headers: { X-Token: [secret-in-a-list-0123] } }'))
    expect(res.body.valid).toBe(false)
    expect(res.body.errors[0].message).toMatch(/^spec\.alerting\.notify\[0\]\.headers\.X-Token: /)
    expect(res.text).not.toContain('secret-in-a-list-0123')
  })
})

import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { launchBrowser, type Browser } from './browser.ts'
import { requireTool } from '../support/needs.ts'
import { startUiFixture, type UiFixture } from './fixture.ts'

// With tokens configured: the pages load without one, the UI asks for a token
// once, refuses a wrong one, keeps a good one for the tab's session only and
// sends it with every API call. A read token sees everything, changes nothing.
// (Its own file: one embedded ClickHouse per process.)


const READ = 'ui-read-token-0123456789abcdef'
const ADMIN = 'ui-admin-token-0123456789abcdef'

requireTool('chromium').describe('web UI with API tokens', () => {
  let fixture: UiFixture
  let browser: Browser

  beforeAll(async () => {
    fixture = await startUiFixture({ tokens: [{ name: 'reader', token: READ, roles: ['read'] }, { name: 'admin', token: ADMIN, roles: ['admin'] }] })
    browser = await launchBrowser({ colorScheme: 'dark' })
  })
  afterAll(async () => {
    await browser?.close()
    await fixture?.close()
  })

  it('serves the page shells and assets without a token, and the data only with one', async () => {
    for (const path of ['/', '/slos/checkout-availability', '/validate']) {
      const res = await fetch(`${fixture.baseUrl}${path}`)
      expect(res.status, path).toBe(200)
      expect(res.headers.get('content-security-policy')).toContain("default-src 'self'")
      expect(await res.text()).toMatch(/^<!doctype html>/)
    }
    expect((await fetch(`${fixture.baseUrl}/api/v1/slos`)).status).toBe(401)
    expect((await fetch(`${fixture.baseUrl}/ui/assets/nope.js`)).status).toBe(404)
  })

  it('asks for a token once, refuses a wrong one, and keeps a good one for the session', async () => {
    const page = await browser.newPage()
    const authHeaders: (string | undefined)[] = []
    page.on('request', (r) => (r.url().includes('/api/v1/') ? authHeaders.push(r.headers().authorization) : undefined))
    await page.goto(`${fixture.baseUrl}/`)
    const dialog = page.locator('#token-dialog')
    await dialog.waitFor({ state: 'visible' })
    expect(await page.evaluate<string>('document.activeElement?.id')).toBe('token-input')
    await page.keyboard.type('not-a-token-at-all-000000')
    await page.keyboard.press('Enter')
    // A locator, not waitForFunction: a string predicate that has to be polled
    // is eval'd in the page, and the UI's CSP (no 'unsafe-eval') refuses it.
    await page.locator('#token-reason', { hasText: 'refused' }).waitFor()
    expect(await dialog.isVisible()).toBe(true)
    await browser.screenshot(page, 'token-prompt')
    await page.fill('#token-input', READ)
    await page.keyboard.press('Enter')
    await page.waitForSelector('body[data-ready]')
    expect(await page.locator('#slos tbody tr').count()).toBe(6)
    expect(await page.evaluate("[sessionStorage.getItem('cairn.apiToken'), localStorage.length, document.cookie]")).toEqual([READ, 0, ''])
    // Another page of the same session: no prompt, the token goes with every call.
    await page.goto(`${fixture.baseUrl}/slos/checkout-availability`)
    await page.waitForSelector('body[data-ready]')
    expect(await dialog.isVisible()).toBe(false)
    await page.waitForSelector('#examples-table')
    expect(authHeaders.slice(-4)).toEqual(Array(4).fill(`Bearer ${READ}`))
    // Forgetting the token asks again.
    await page.click('#forget-token')
    await dialog.waitFor({ state: 'visible' })
    await page.close()
  })

  it('a new browser session asks again: the token is not kept beyond it', async () => {
    const other = await launchBrowser()
    try {
      const page = await other.newPage()
      await page.goto(`${fixture.baseUrl}/validate`)
      await page.fill('#spec-input', 'apiVersion: cairn/v1\n')
      await page.click('#validate-form button[type=submit]')
      await page.locator('#token-dialog').waitFor({ state: 'visible' })
      await page.fill('#token-input', READ)
      await page.keyboard.press('Enter')
      // The read token may validate (it stores nothing)…
      await page.waitForSelector('#errors')
      // …but not change SLOs: the API refuses a PUT with it.
      const status = await page.evaluate(async (token) => (await fetch('/api/v1/slos/auth-login', { method: 'PUT', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/yaml' }, body: 'x: 1' })).status, READ)
      expect(status).toBe(403)
    } finally {
      await other.close()
    }
  })
})

import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Page } from 'playwright-core'
import { launchBrowser, type Browser } from './browser.ts'
import { requireTool } from '../support/needs.ts'
import { LATEST, startUiFixture, type UiFixture } from './fixture.ts'

// The web UI in Debian's chromium against cairn's API on the embedded store,
// with seeded SLOs and evaluations: the numbers the API returns on the
// overview, filters in the URL, the SLO page's charts and their text
// alternatives, the what-if objective, inline validation errors, keyboard
// navigation, and no request leaving localhost.


requireTool('chromium').describe('web UI', () => {
  let fixture: UiFixture
  let browser: Browser

  beforeAll(async () => {
    fixture = await startUiFixture()
    browser = await launchBrowser()
  })
  afterAll(async () => {
    // Every request of every page went to this cairn (blob: URLs are downloads made in the page).
    const outside = browser?.requests.filter((u) => !u.startsWith(`${fixture.baseUrl}/`) && !u.startsWith('blob:') && !u.startsWith('data:'))
    await browser?.close()
    await fixture?.close()
    expect(browser.requests.length).toBeGreaterThan(20)
    expect(outside).toEqual([])
    expect(browser.errors).toEqual([])
  })

  async function open(path: string): Promise<Page> {
    const page = await browser.newPage()
    await page.goto(`${fixture.baseUrl}${path}`)
    await page.waitForSelector('body[data-ready]')
    return page
  }

  /** What Tab reaches in `presses` presses: each focused element's id, band, link target or tag name. */
  async function tabThrough(page: Page, presses: number): Promise<Set<string>> {
    const reached = new Set<string>()
    for (let i = 0; i < presses; i++) {
      await page.keyboard.press('Tab')
      reached.add(await page.evaluate<string>("(a => a.id || a.getAttribute('data-band') || a.getAttribute('href') || a.tagName)(document.activeElement)"))
    }
    return reached
  }

  const rowIds = (page: Page) => page.locator('#slos tbody tr').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-id')))
  const cells = (page: Page, id: string) => page.locator(`#slos tr[data-id="${id}"] > *`).allTextContents()

  describe('overview', () => {
    it('lists every SLO with the numbers the API returns, lowest remaining budget first', async () => {
      const api = (await (await fetch(`${fixture.baseUrl}/api/v1/slos`)).json()) as { slos: { id: string; status: { errorBudget: { remainingRatio: number | null }; sli: number | null } }[] }
      expect(api.slos.find((s) => s.id === 'checkout-availability')!.status).toMatchObject({ sli: LATEST['checkout-availability'].sli, errorBudget: { remainingRatio: 0.3 } })
      const page = await open('/')
      expect(await rowIds(page)).toEqual(['auth-login', 'checkout-availability', 'cart-availability', 'search-latency', 'billing-requests-availability', 'inventory-availability'])
      const checkout = await cells(page, 'checkout-availability')
      expect(checkout.slice(1, 8).map((c) => c.trim())).toEqual(['99.9 %', '99.93 %', '30.0 %', '▲▲ 16.0 (over the page threshold)', '▲▲ 7.00 (over the page threshold)', '2.50', '▲ 1.40 (over the ticket threshold)'])
      expect(checkout[8]).toContain('page: ▲ firing')
      expect(await page.locator('#slos tr[data-id="checkout-availability"] td.burn-page').count()).toBe(2)
      expect((await cells(page, 'auth-login'))[3]).toContain('-20.0 % overspent')
      expect((await cells(page, 'inventory-availability'))[3]).toContain('no data')
      expect((await cells(page, 'billing-requests-availability'))[0]).toContain('not computed')
      const counts = await page.locator('[data-count]').evaluateAll((n) => Object.fromEntries(n.map((x) => [x.getAttribute('data-count'), x.textContent])))
      expect(counts).toEqual({ exhausted: '1', lt25: '0', lt50: '1', lt75: '1', healthy: '1', nodata: '2', error: '0' })
      // The sparkline is drawn (after the table: it does not wait for them) and described.
      await page.waitForSelector('body[data-trends]')
      expect(await page.locator('#slos tr[data-id="checkout-availability"] svg.spark').getAttribute('aria-label')).toMatch(/^remaining budget over 7 days: from \d+ % to 30 %/)
      await browser.screenshot(page, 'overview')
      await page.close()
    })

    it('filters from the URL, and writes the filters it is given back to the URL', async () => {
      const page = await open('/?label=team%3Dpayments')
      expect(await rowIds(page)).toEqual(['checkout-availability', 'cart-availability', 'billing-requests-availability'])
      await page.goto(`${fixture.baseUrl}/?state=alerting`)
      await page.waitForSelector('body[data-ready]')
      expect(await rowIds(page)).toEqual(['checkout-availability'])
      await page.goto(`${fixture.baseUrl}/?band=exhausted`)
      await page.waitForSelector('body[data-ready]')
      expect(await rowIds(page)).toEqual(['auth-login'])
      expect(await page.locator('button[data-band="exhausted"]').getAttribute('aria-pressed')).toBe('true')
      await page.goto(`${fixture.baseUrl}/?sort=-budget&state=ok`)
      await page.waitForSelector('body[data-ready]')
      expect(await rowIds(page)).toEqual(['search-latency', 'cart-availability', 'checkout-availability', 'auth-login'])
      await page.selectOption('#f-service', 'cart')
      expect(await rowIds(page)).toEqual(['cart-availability'])
      expect(new URL(page.url()).searchParams.get('service')).toBe('cart')
      expect(await page.locator('#summary').innerText()).toBe('Showing 1 of 6 SLOs.')
      await page.close()
    })

    it('is usable from the keyboard: tabbing reaches the bands, the filters and the SLO links', async () => {
      const page = await open('/')
      const reached = await tabThrough(page, 30)
      for (const control of ['exhausted', 'healthy', 'f-service', 'f-label', 'f-state', 'f-sort', 'f-reset', '/slos/auth-login']) expect(reached).toContain(control)
      // Enter on a focused band filters; Enter on a focused link opens the SLO.
      await page.focus('button[data-band="healthy"]')
      await page.keyboard.press('Enter')
      expect(await rowIds(page)).toEqual(['search-latency'])
      await page.focus('a[href="/slos/search-latency"]')
      await page.keyboard.press('Enter')
      await page.waitForURL(/\/slos\/search-latency$/)
      await page.close()
    })
  })

  describe('SLO page', () => {
    it('draws the burn-down and the SLI charts, each with a summary and a data table', async () => {
      const page = await open('/slos/checkout-availability')
      for (const chart of ['burndown', 'sli']) {
        expect(await page.locator(`#${chart}-chart canvas`).count()).toBe(1)
        expect(await page.locator(`#${chart}-chart`).getAttribute('role')).toBe('img')
        expect(await page.locator(`#${chart}-chart`).getAttribute('aria-describedby')).toBe(`${chart}-summary`)
        expect(await page.locator(`#${chart}-table tbody tr`).count()).toBeGreaterThan(250)
      }
      expect(await page.locator('#burndown-summary').innerText()).toMatch(/remaining budget went from 100\.00 % to 30\.\d\d %/)
      // Four dips of 5 hours, each caught by 2 or 3 of the ~144-minute steps; the data table says which.
      const [, breaches, points] = /; (\d+) of (\d+) points below the objective \(breaches\)\.$/.exec(await page.locator('#sli-summary').innerText())!
      expect(Number(breaches)).toBeGreaterThanOrEqual(8)
      expect(Number(breaches)).toBeLessThanOrEqual(12)
      expect(await page.locator('#sli-table tbody tr').count()).toBe(Number(points))
      expect(await page.locator('#sli-table tbody tr td:last-child', { hasText: 'yes' }).count()).toBe(Number(breaches))
      expect(await page.locator('[data-field="remaining"]').innerText()).toBe('30.00 %')
      expect(await page.locator('[data-field="consumed"]').innerText()).toBe('700 of 1,000')
      await browser.screenshot(page, 'slo-checkout-availability')
      await page.close()
    })

    it('shows the burn rates against the policy, the alert history, failing spans and the spec with its source', async () => {
      const page = await open('/slos/checkout-availability')
      const burn = await page.locator('#burn-table tbody tr').evaluateAll((rows) => rows.map((r) => [...r.children].map((c) => (c as unknown as { innerText: string }).innerText.trim())))
      expect(burn).toEqual([
        ['page (quick, 2 % of budget)', '5m', '18.0 ▲', '1h', '16.0 ▲', '14.4×', '▲ firing'],
        ['page (slow, 5 % of budget)', '30m', '8.00 ▲', '6h', '7.00 ▲', '6.00×', '▲ firing'],
        ['ticket (quick, 10 % of budget)', '2h', '3.10 ▲', '1d', '2.50', '3.00×', 'no'],
        ['ticket (slow, 10 % of budget)', '6h', '7.00 ▲', '3d', '1.40 ▲', '1.00×', '▲ firing'],
      ])
      expect(await page.locator('#alert-changes tbody tr').first().innerText()).toMatch(/^page\s+firing/)
      await page.waitForSelector('#examples-table')
      expect(await page.locator('#examples-table tbody tr').count()).toBe(3)
      expect(await page.locator('#examples-table tbody tr').first().innerText()).toMatch(/POST \/checkout\s+120\.0 ms\s+Error: payment gateway timeout\s+ababab\w+00/)
      await page.waitForSelector('#attribution-table')
      expect(await page.locator('#attribution').innerText()).toContain('3 bad of 4 events in the last hour')
      expect(await page.locator('#attribution-table tbody tr').allInnerTexts()).toEqual([expect.stringMatching(/^http\.route\s+concentration 0\.25\s+\/checkout\s+100\.0 %\s+3 \/ 3\s+100\.00 %\s+ababab\w*/)])
      expect(await page.locator('#attribution-table a').first().getAttribute('href')).toMatch(/^\/api\/v1\/traces\/(ab){15}0[0-2]$/)
      expect(await page.locator('#spec-source').innerText()).toMatch(/checkout\.yaml, line 1, column 1 \(cairn format\)/)
      expect(await page.locator('#spec-yaml').innerText()).toContain('objectivePercent: 99.9')
      // The Grafana dashboard is downloaded through the API (with the token when there is one).
      const [download] = await Promise.all([page.waitForEvent('download'), page.click('#download-dashboard')])
      expect(download.suggestedFilename()).toBe('checkout-availability.dashboard.json')
      await page.close()
    })

    it('recomputes the budget, the burn-down and the burn rates at once for a what-if objective', async () => {
      const page = await open('/slos/checkout-availability')
      // The same 700 bad events against 99.8 %: 2,000 allowed, 65 % left; burn rates halve.
      await page.fill('#whatif-objective', '99.8')
      expect(await page.locator('[data-field="remaining"]').innerText()).toBe('65.00 %')
      expect(await page.locator('[data-field="consumed"]').innerText()).toBe('700 of 2,000')
      expect(await page.locator('#burndown-summary').innerText()).toMatch(/to 65\.0\d %/)
      expect(await page.locator('#burn-table tbody tr').first().innerText()).toContain('8.00')
      expect(await page.locator('#whatif-note').innerText()).toContain('remaining budget 65.00 %')
      // 99.95 %: 500 allowed, 200 over: overspent.
      await page.fill('#whatif-objective', '99.95')
      expect(await page.locator('[data-field="remaining"]').innerText()).toBe('-40.00 % (overspent)')
      await page.click('#whatif-reset')
      expect(await page.locator('[data-field="remaining"]').innerText()).toBe('30.00 %')
      await page.fill('#whatif-objective', '100')
      expect(await page.locator('#whatif-objective').getAttribute('aria-invalid')).toBe('true')
      await page.close()
    })

    it('warns when a handful of bad events spends the whole budget, and shows failing log records', async () => {
      const page = await open('/slos/auth-login')
      expect(await page.locator('#low-traffic').innerText()).toContain('400 events in the window allow 4.0 bad ones, so 4 failures spend the whole budget')
      expect(await page.locator('[data-field="remaining"]').innerText()).toBe('-20.00 % (overspent)')
      await page.waitForSelector('#examples-table')
      expect(await page.locator('#examples-table tbody tr').allInnerTexts()).toEqual([expect.stringContaining('login failed: upstream idp 503')])
      await page.close()
    })

    it('reaches the what-if input and the downloads from the keyboard', async () => {
      const page = await open('/slos/checkout-availability')
      const reached = await tabThrough(page, 40)
      for (const control of ['whatif-objective', 'whatif-reset', 'download-dashboard', 'download-rules', 'spec-yaml']) expect(reached).toContain(control)
      await page.close()
    })

    it('shows an evaluation error with its reason once the status carries it', async () => {
      // A field another change adds to the status (an `error` state with a reason): the real answer, with it put in.
      const page = await browser.newPage()
      await page.route('**/api/v1/slos', async (route) => {
        const body = (await (await route.fetch()).json()) as { slos: { id: string; status: Record<string, unknown> }[] }
        for (const s of body.slos) if (s.id === 'search-latency') Object.assign(s.status, { state: 'error', reason: 'ClickHouse timed out after 30 s' })
        await route.fulfill({ json: body })
      })
      await page.goto(`${fixture.baseUrl}/`)
      await page.waitForSelector('body[data-ready]')
      expect((await cells(page, 'search-latency'))[0]).toContain('error: ClickHouse timed out after 30 s')
      expect((await cells(page, 'search-latency'))[3]).toContain('error')
      expect(await page.locator('[data-count="error"]').innerText()).toBe('1')
      await page.close()
    })

    it("shows the API's budget forecast", async () => {
      // checkout: 30% left of a 30d window, burning 16× over 1h (2.5× over 1d): 0.3 × 30d ÷ 16 = 13.5 hours after the evaluation.
      const status = ((await (await fetch(`${fixture.baseUrl}/api/v1/slos/checkout-availability`)).json()) as { status: { evaluatedAt: string; budgetExhaustedAt: string } }).status
      expect(Date.parse(status.budgetExhaustedAt) - Date.parse(status.evaluatedAt)).toBe(13.5 * 3_600_000)
      const page = await open('/slos/checkout-availability')
      const shown = await page.evaluate((iso) => new Date(iso).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' }), status.budgetExhaustedAt)
      expect(await page.locator('#notices').innerText()).toContain(`At the current burn rate the budget runs out on ${shown}.`)
      await page.close()
    })

    it('says when an overspent budget ran out', async () => {
      // auth-login: −20% of a 7d window at a window average of 1.2×: −0.2 × 7d ÷ 1.2 = 28 hours before the evaluation.
      const status = ((await (await fetch(`${fixture.baseUrl}/api/v1/slos/auth-login`)).json()) as { status: { evaluatedAt: string; budgetExhaustedAt: string } }).status
      expect(Date.parse(status.budgetExhaustedAt) - Date.parse(status.evaluatedAt)).toBe(-28 * 3_600_000)
      const page = await open('/slos/auth-login')
      const shown = await page.evaluate((iso) => new Date(iso).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' }), status.budgetExhaustedAt)
      const notices = await page.locator('#notices').innerText()
      expect(notices).toContain(`The error budget ran out around ${shown}.`)
      expect(notices).not.toContain('runs out on')
      await page.close()
    })

    it('says so for an unknown SLO', async () => {
      const page = await browser.newPage()
      await page.goto(`${fixture.baseUrl}/slos/nope-nothing`)
      await page.waitForSelector('#problem:not([hidden])')
      expect(await page.locator('#problem').innerText()).toBe('The API answered 404: no SLO with id "nope-nothing"')
      browser.errors.splice(0) // the 404 of the data call is logged by the browser, as it should be
      await page.close()
    })
  })

  describe('validate', () => {
    it('shows each error at its line and column, and jumps there', async () => {
      const page = await open('/validate')
      const spec = 'apiVersion: cairn/v1\nkind: SLO\nmetadata: { name: x, service: y }\nspec:\n  objective: 999\n  window: 30d\n  sli: { spans: { bad: error } }\n'
      await page.fill('#spec-input', spec)
      await page.click('#validate-form button[type=submit]')
      await page.waitForSelector('#errors')
      expect(await page.locator('#errors li').allInnerTexts()).toEqual(['line 5, column 14: spec.objective: expected an objective above 0 and below 100 (percent) (got 999)'])
      // Inline: the message sits right under line 5, its caret under column 14.
      const next = await page.locator('#annotated [data-line="5"] + .line-message').innerText()
      expect(next.indexOf('^') - next.indexOf('│') - 2).toBe(13)
      expect(await page.locator('#annotated .line-error').getAttribute('data-line')).toBe('5')
      await page.click('#errors button')
      expect(await page.evaluate("document.getElementById('spec-input').selectionStart")).toBe(spec.indexOf('objective: 999') + 'objective: '.length)
      await browser.screenshot(page, 'validate')
      await page.fill('#spec-input', spec.replace('999', '99.5'))
      await page.click('#validate-form button[type=submit]')
      await page.waitForSelector('#verdict.notice-good')
      expect(await page.locator('#verdict').innerText()).toBe('✓ Valid: 1 SLO (y-x, cairn).')
      await page.close()
    })
  })
})

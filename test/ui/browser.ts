import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { chromium, type BrowserContext, type Page } from 'playwright-core'
import { findTool } from '../support/requirements.ts'
import { tempDir } from '../support/temp.ts'

// Debian's chromium driven by playwright-core, as the UI tests use it: fresh
// profile, no network services of its own, every request and console error
// of every page recorded so tests can assert on them.

/** The chromium binary, or undefined: tests declare it with requireTool('chromium') (test/support/needs.ts). */
export const CHROMIUM = findTool('chromium')

const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run']

/** Where screenshots go: CAIRN_TEST_ARTIFACTS, or test-results/ui under the repository (git-ignored). */
export const ARTIFACTS = process.env.CAIRN_TEST_ARTIFACTS ?? join(process.cwd(), 'test-results', 'ui')

export interface Browser {
  context: BrowserContext
  /** Every URL any page requested. */
  requests: string[]
  /** Console errors and uncaught page errors. */
  errors: string[]
  newPage(): Promise<Page>
  screenshot(page: Page, name: string): Promise<string>
  close(): Promise<void>
}

export async function launchBrowser(options: { colorScheme?: 'light' | 'dark' } = {}): Promise<Browser> {
  const profile = tempDir('cairn-chromium-')
  const context = await chromium.launchPersistentContext(profile.path, {
    executablePath: CHROMIUM,
    args: FLAGS,
    viewport: { width: 1400, height: 900 },
    colorScheme: options.colorScheme ?? 'light',
    timezoneId: 'UTC',
    locale: 'en-GB',
  })
  const requests: string[] = []
  const errors: string[] = []
  context.on('request', (r) => requests.push(r.url()))
  context.on('page', (page) => {
    page.on('console', (m) => (m.type() === 'error' ? errors.push(m.text()) : undefined))
    page.on('pageerror', (e) => errors.push(e.message))
  })
  return {
    context,
    requests,
    errors,
    newPage: () => context.newPage(),
    async screenshot(page, name) {
      mkdirSync(ARTIFACTS, { recursive: true })
      const path = join(ARTIFACTS, `${name}.png`)
      await page.screenshot({ path, fullPage: true })
      return path
    },
    async close() {
      await context.close()
      profile.remove()
    },
  }
}

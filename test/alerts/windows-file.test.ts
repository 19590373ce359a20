import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { alertPolicyFor, loadWindows, parseWindowsFile, policyResolverFromConfig, ruleOptionsFromConfig, WindowsFileError } from '../../alerts/index.ts'
import { ConfigError, configSchema } from '../../config/index.ts'
import { makeSlo } from '../fixtures/alerts/slos.ts'
import { peersPath } from '../support/peers.ts'
import { requirePeers } from '../support/needs.ts'

const peers = (path: string) => peersPath('sloth', path)

function problems(text: string): string[] {
  try {
    parseWindowsFile(text, 'w.yaml')
  } catch (err) {
    if (err instanceof WindowsFileError) return err.problems
    throw err
  }
  throw new Error('expected a WindowsFileError')
}

requirePeers().describe('alert windows files (Sloth AlertWindows)', () => {
  it("reads Sloth's 7-day windows and applies them to 7-day SLOs, factors derived", () => {
    const windows = loadWindows([peers('test/integration/prometheus/windows/7d.yaml')])
    expect([...windows.keys()]).toEqual([7 * 86400])
    const slo = makeSlo({ name: 'a', service: 's', window: { kind: 'rolling', seconds: 7 * 86400 } })
    const policy = alertPolicyFor(slo, windows)
    expect(policy.source).toBe('windows-file')
    expect(policy.pairs.map((p) => [p.shortWindowSeconds, p.longWindowSeconds, p.burnRateFactor])).toEqual([
      [300, 3600, 13.44],
      [1800, 21600, 3.5],
      [7200, 86400, 1.4000000000000001],
      [21600, 259200, 0.98],
    ])
    // A 30-day SLO is not affected by a 7-day file.
    expect(alertPolicyFor(makeSlo({ name: 'a', service: 's' }), windows).source).toBe('reference')
  })

  it('reads a directory of windows files', () => {
    const windows = loadWindows([peers('examples/windows')])
    expect([...windows.keys()].sort((a, b) => a - b)).toEqual([7 * 86400, 30 * 86400])
    expect(windows.get(30 * 86400)!.page.quick).toEqual({ budgetPercent: 1, shortWindowSeconds: 120, longWindowSeconds: 1800 })
  })

  it('names file, line and column of every bad value', () => {
    const text = readFileSync(peers('examples/windows/7d.yaml'), 'utf8')
    expect(problems(text.replace('errorBudgetPercent: 8', 'errorBudgetPercent: 0'))).toEqual(['w.yaml:7:27: spec.page.quick.errorBudgetPercent: expected a percent above 0'])
    expect(problems(text.replace('longWindow: 1h', 'longWindow: 90s'))).toEqual(['w.yaml:9:19: spec.page.quick.longWindow: expected a duration of whole minutes such as 5m, 1h or 3d'])
    expect(problems(text.replace('shortWindow: 30m', 'shortWindow: 7h'))).toEqual(['w.yaml:12:20: spec.page.slow.shortWindow: shortWindow must be shorter than longWindow'])
    expect(problems(text.replace('kind: AlertWindows', 'kind: SLO'))).toEqual(['w.yaml:2:7: kind: expected kind AlertWindows'])
    expect(problems('apiVersion: [')).toHaveLength(1)
    expect(problems(`${text}\n---\n${text}`)[0]).toMatch(/^w\.yaml:\d+:\d+: spec\.sloPeriod: a second AlertWindows for period 7d$/)
    expect(() => loadWindows(['/nonexistent/windows.yaml'])).toThrow(/cannot read alert windows: ENOENT/)
  })

  it('is a configuration error, naming the setting, when CAIRN_ALERT_WINDOWS is bad', () => {
    const config = configSchema.parse({ alerts: { windowsPath: '/nonexistent/windows' } }).alerts
    expect(() => ruleOptionsFromConfig(config)).toThrow(ConfigError)
    expect(() => ruleOptionsFromConfig(config)).toThrow('alerts.windowsPath (CAIRN_ALERT_WINDOWS): /nonexistent/windows: cannot read alert windows: ENOENT')
    const good = configSchema.parse({ alerts: { windowsPath: peers('examples/windows'), dashboardUrl: 'https://g/d/{slo}' } }).alerts
    const options = ruleOptionsFromConfig(good)
    expect([...options.windows!.keys()].sort((a, b) => a - b)).toEqual([7 * 86400, 30 * 86400])
    expect(options.dashboardUrlTemplate).toBe('https://g/d/{slo}')
  })

  it("resolves each SLO's policy from CAIRN_ALERT_WINDOWS, as the engine pages (what `cairn dashboards` shows)", () => {
    const resolve = policyResolverFromConfig(configSchema.parse({ alerts: { windowsPath: peers('examples/windows') } }).alerts)
    const sevenDay = resolve(makeSlo({ name: 'a', service: 's', window: { kind: 'rolling', seconds: 7 * 86400 } }))
    expect(sevenDay.source).toBe('windows-file')
    expect(sevenDay.pairs.map((p) => [p.shortWindowSeconds, p.longWindowSeconds, p.burnRateFactor])).toEqual([
      [300, 3600, 13.44], // 8 % of 7 days in 1 h
      [1800, 21600, 3.5],
      [7200, 86400, 1.4000000000000001],
      [21600, 259200, 0.98],
    ])
    expect(resolve(makeSlo({ name: 'b', service: 's', window: { kind: 'rolling', seconds: 86400 } })).source).not.toBe('windows-file')
    expect(policyResolverFromConfig(configSchema.parse({ alerts: {} }).alerts)(makeSlo({ name: 'a', service: 's', window: { kind: 'rolling', seconds: 7 * 86400 } })).source).not.toBe('windows-file')
    expect(() => policyResolverFromConfig(configSchema.parse({ alerts: { windowsPath: '/nonexistent/windows' } }).alerts)).toThrow('alerts.windowsPath (CAIRN_ALERT_WINDOWS)')
  })
})

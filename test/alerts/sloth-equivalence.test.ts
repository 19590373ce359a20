import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { parse, parseAllDocuments } from 'yaml'
import { generatePrometheusRules, loadWindows, type RuleOptions } from '../../alerts/index.ts'
import { formatSpecError, loadSloFiles, type Slo } from '../../slo-engine/index.ts'
import { promtoolAlertTest } from '../fixtures/alerts/scenarios.ts'
import { checkRules, testRules } from '../support/promtool.ts'
import { tempDir } from '../support/temp.ts'
import { peersPath } from '../support/peers.ts'
import { requirePeers, requireTool } from '../support/needs.ts'

// Sloth's integration inputs through cairn's real spec parser and rule
// generator, against the rules Sloth itself generated for them (with the flags
// its integration test uses). Sloth's SLI/SLO plugins are Go code cairn cannot
// run: those inputs load as external SLIs and are left out here.

const SLOTH = peersPath('sloth', 'test', 'integration', 'prometheus') + '/'
const TESTDATA = join(SLOTH, 'testdata')
const D = 86400

const dir = tempDir('cairn-sloth-eq-')
afterAll(() => dir.remove())

interface Case {
  input: string
  expected: string
  defaultSloPeriodSeconds?: number
  options?: () => RuleOptions
}

const CASES: Case[] = [
  { input: 'in-base', expected: 'out-base' },
  { input: 'in-base', expected: 'out-base-28d', defaultSloPeriodSeconds: 28 * D },
  { input: 'in-base', expected: 'out-base-custom-windows-7d', defaultSloPeriodSeconds: 7 * D, options: () => ({ windows: loadWindows([join(SLOTH, 'windows/7d.yaml')]) }) },
  { input: 'in-base', expected: 'out-base-no-alerts', options: () => ({ disableAlerts: true }) },
  { input: 'in-base', expected: 'out-base-no-recordings', options: () => ({ disableRecordings: true }) },
  { input: 'in-base', expected: 'out-base-extra-labels', options: () => ({ extraLabels: { exk1: 'exv1', exk2: 'exv2' } }) },
  { input: 'in-base-k8s', expected: 'out-base-k8s' },
  { input: 'in-multifile', expected: 'out-multifile' },
  { input: 'in-multifile-k8s', expected: 'out-multifile-k8s' },
  { input: 'in-openslo', expected: 'out-openslo' },
]

/** Sloth's expected output with its template rendered; the Kubernetes variant's PrometheusRule unwrapped to plain groups. */
function slothExpected(name: string): { groups: { name: string; rules: Record<string, unknown>[] }[] } {
  const text = readFileSync(join(TESTDATA, `${name}.yaml.tpl`), 'utf8')
    .replaceAll('{{ .version }}', 'v0.16.0')
    .replace(/\{\{"(.*?)"\}\}/g, '$1')
  const docs = parseAllDocuments(text).map((d) => d.toJS()).filter(Boolean)
  return { groups: docs.flatMap((d) => d.groups ?? d.spec?.groups ?? []) }
}

/** Everything but who generated it (sloth_mode, sloth_version, sloth_spec name the generator and input kind), keys sorted. */
function canonical(rules: { groups: { rules: Record<string, unknown>[] }[] }): string {
  for (const g of rules.groups) {
    for (const r of g.rules) {
      const labels = r.labels as Record<string, string> | undefined
      if (r.record === 'sloth_slo_info' && labels) for (const k of ['sloth_mode', 'sloth_version', 'sloth_spec']) delete labels[k]
    }
  }
  return JSON.stringify(rules, (_, v) => (v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => a.localeCompare(b))) : v), 1)
}

async function load(c: Case): Promise<Slo[]> {
  const parsed = await loadSloFiles([join(TESTDATA, `${c.input}.yaml`)], { defaultSloPeriodSeconds: c.defaultSloPeriodSeconds })
  expect(parsed.errors.map(formatSpecError)).toEqual([])
  return parsed.slos
}

requirePeers().describe("Sloth's integration inputs", () => {
  it.each(CASES)('$input → $expected: the same rules as Sloth generates', async (c) => {
    const slos = await load(c)
    const ours = generatePrometheusRules(slos, c.options?.())
    expect(canonical(parse(ours))).toBe(canonical(slothExpected(c.expected)))
  })

  requireTool('promtool').it.each(CASES.filter((c) => !c.expected.includes('no-alerts') && c.expected !== 'out-openslo'))(
    '$input → $expected: our alerts and Sloth\'s fire on exactly the same series (promtool test rules)',
    async (c) => {
      const slos = await load(c)
      const options = c.options?.() ?? {}
      const ours = join(dir.path, `${c.expected}.cairn.yaml`)
      const sloth = join(dir.path, `${c.expected}.sloth.yaml`)
      writeFileSync(ours, generatePrometheusRules(slos, options))
      writeFileSync(sloth, JSON.stringify(slothExpected(c.expected)))
      expect(checkRules(ours, sloth).status).toBe(0)
      const alerting = slos.filter((s) => s.alerting.page.enabled || s.alerting.ticket.enabled)
      expect(alerting.length).toBeGreaterThan(0)
      for (const slo of alerting) {
        const rules = (parse(generatePrometheusRules([slo], options)).groups as { rules: never[] }[]).flatMap((g) => g.rules).filter((r: { alert?: string }) => r.alert)
        for (const file of [ours, sloth]) {
          const doc = promtoolAlertTest(file, 'sloth', slo, rules, options)
          const result = testRules(dir.path, `${c.expected}.${slo.id}.test.yaml`, doc)
          expect(result.output, `${file} ${slo.id}`).toContain('SUCCESS')
          expect(result.status).toBe(0)
        }
      }
    },
  )
})

import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { generatePrometheusRules, loadWindows } from '../../alerts/index.ts'
import { loadSloFiles } from '../../slo-engine/index.ts'
import { runCairn } from '../support/cairn-process.ts'
import { checkRules } from '../support/promtool.ts'
import { tempDir } from '../support/temp.ts'
import { peersPath } from '../support/peers.ts'
import { requirePeers, requireTool } from '../support/needs.ts'

const SLOTH = peersPath('sloth') + '/'
const IN_BASE = join(SLOTH, 'test/integration/prometheus/testdata/in-base.yaml')
const dir = tempDir('cairn-rules-cli-')
afterAll(() => dir.remove())

requirePeers().describe('cairn rules', () => {
  requireTool('promtool').it("writes the library's rules for Sloth's flags to --out, and promtool accepts them", async () => {
    const out = join(dir.path, 'rules.yaml')
    const windows = join(SLOTH, 'test/integration/prometheus/windows/7d.yaml')
    const run = await runCairn(['rules', '--default-slo-period', '7d', '--windows', windows, '-l', 'exk1=exv1', '--extra-labels=exk2=exv2', '--out', out, IN_BASE])
    expect(run.stderr).toBe(`cairn rules: 2 SLOs (2 PromQL, 0 computed by cairn) → ${out}\n`)
    expect(run.code).toBe(0)
    expect(run.stdout).toBe('')
    const { slos } = await loadSloFiles([IN_BASE], { defaultSloPeriodSeconds: 7 * 86400 })
    expect(readFileSync(out, 'utf8')).toBe(generatePrometheusRules(slos, { windows: loadWindows([windows]), extraLabels: { exk1: 'exv1', exk2: 'exv2' } }))
    expect(checkRules(out).status).toBe(0)
  })

  it('prints to stdout, honouring --disable-alerts and --disable-recordings', async () => {
    const noAlerts = await runCairn(['rules', '--disable-alerts', IN_BASE])
    expect(noAlerts.code).toBe(0)
    expect(noAlerts.stdout).toContain('record: slo:sli_error:ratio_rate5m')
    expect(noAlerts.stdout).not.toContain('alert:')
    const noRecordings = await runCairn(['rules', '--disable-recordings', IN_BASE])
    expect(noRecordings.stdout).toContain('alert: myServiceAlert')
    expect(noRecordings.stdout).not.toContain('record:')
  })

  requireTool('promtool').it("generates rules promtool accepts for every one of Sloth's examples", async () => {
    // One file at a time: several examples declare the same SLO ids. Plugins are
    // Go code cairn cannot run; victoria-metrics.yml is MetricsQL, not PromQL.
    const examples = readdirSync(join(SLOTH, 'examples')).filter((f) => /\.ya?ml$/.test(f) && !f.includes('plugin') && f !== 'victoria-metrics.yml')
    expect(examples.length).toBeGreaterThan(10)
    const files: string[] = []
    for (const example of examples) {
      const { slos, errors } = await loadSloFiles([join(SLOTH, 'examples', example)])
      expect(errors).toEqual([])
      const file = join(dir.path, `example-${example}`)
      writeFileSync(file, generatePrometheusRules(slos))
      files.push(file)
    }
    const check = checkRules(...files)
    // Lint warnings (two SLOs of multifile.yml share alert name and labels, as in Sloth's output) do not fail the check.
    expect(check.output).not.toMatch(/could not parse|error parsing|bad .*rule/i)
    expect(check.output.match(/^Checking /gm)).toHaveLength(files.length)
    expect(check.status, check.output).toBe(0)
  })

  it('names every bad spec at file:line:col and writes nothing', async () => {
    const bad = join(dir.path, 'bad.yaml')
    writeFileSync(bad, readFileSync(IN_BASE, 'utf8').replace('objective: 99.9', 'objective: 999'))
    const out = join(dir.path, 'never.yaml')
    const run = await runCairn(['rules', '--out', out, bad])
    expect(run.code).toBe(1)
    expect(run.stderr).toMatch(new RegExp(`^${bad}:7:16: .*objective.*\\ncairn rules: 1 error in the SLO specs; no rules written\\n$`))
    expect(existsSync(out)).toBe(false)
  })

  it('rejects a bad windows file and bad flags with a clear message', async () => {
    const windows = join(dir.path, 'w.yaml')
    writeFileSync(windows, 'apiVersion: sloth.slok.dev/v1\nkind: AlertWindows\nspec:\n  sloPeriod: 30d\n')
    const run = await runCairn(['rules', '--windows', windows, IN_BASE])
    expect(run.code).toBe(1)
    expect(run.stderr).toBe(`${windows}:4:3: spec.page: Invalid input: expected object, received undefined\n${windows}:4:3: spec.ticket: Invalid input: expected object, received undefined\n`)
    const flag = await runCairn(['rules', '--default-slo-period', 'month', IN_BASE])
    expect(flag.code).toBe(2)
    expect(flag.stderr).toBe('cairn: --default-slo-period: expected a duration in whole minutes such as 30d or 28d (got "month")\n')
    expect((await runCairn(['rules'])).stderr).toMatch(/^cairn: no SLO files given; usage: cairn rules /)
  })
})

import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { runCairn } from '../support/cairn-process.ts'
import { tempDir } from '../support/temp.ts'
import { peersPath } from '../support/peers.ts'
import { requirePeers } from '../support/needs.ts'

const dir = tempDir()
afterAll(() => dir.remove())
const BAD = peersPath('sloth', 'test', 'integration', 'prometheus', 'testdata', 'validate', 'bad')
const examples = new URL('../../examples/slos', import.meta.url).pathname

describe('cairn validate', () => {
  it('accepts the examples and exits 0', async () => {
    const run = await runCairn(['validate', examples])
    expect(run.stdout).toBe('6 SLOs valid, 0 errors\n')
    expect(run.code).toBe(0)
  })

  requirePeers().it('prints every error as file:line:col: message and exits 1', async () => {
    const file = join(dir.path, 'bad.yaml')
    writeFileSync(file, 'apiVersion: cairn/v1\nkind: SLO\nmetadata: { name: a, service: b }\nspec:\n  objective: 99.9\n  window: 30d\n  sli: {}\n')
    const run = await runCairn(['validate', file, join(BAD, 'bad-aa.yaml')])
    expect(run.code).toBe(1)
    expect(run.stdout).toBe(
      [
        `${file}:7:8: spec.sli: expected exactly one SLI kind: spans, logs, metrics, histogram, promql`,
        `${BAD}/bad-aa.yaml:28:16: slos[1].objective: expected an objective above 0 and below 100 (percent) (got 101)`,
        '0 SLOs valid, 2 errors',
        '',
      ].join('\n'),
    )
  })

  it('checks per-SLO notification URLs against the allow-list of the configuration, as cairn serve does', async () => {
    const file = join(dir.path, 'notify.yaml')
    writeFileSync(
      file,
      'apiVersion: cairn/v1\nkind: SLO\nmetadata: { name: a, service: b }\nspec:\n  objective: 99.9\n  window: 30d\n  sli: { spans: { service: b, bad: error } }\n' +
        '  alerting:\n    notify:\n      - { type: webhook, url: "https://hooks.example.com/teams/b" }\n',
    )
    const refused = await runCairn(['validate', file])
    expect(refused.code).toBe(1)
    expect(refused.stdout).toContain(`${file}:10:31: spec.alerting.notify[0].url: https://hooks.example.com/teams/b is not an allowed notification URL`)
    const allowed = await runCairn(['validate', file], { CAIRN_NOTIFY_URL_ALLOWLIST: 'https://hooks.example.com/teams/' })
    expect([allowed.code, allowed.stdout]).toEqual([0, '1 SLO valid, 0 errors\n'])
  })

  it('applies --default-slo-period and rejects bad usage with exit 2', async () => {
    expect((await runCairn(['validate', '--default-slo-period', '28d', examples])).code).toBe(0)
    const badPeriod = await runCairn(['validate', '--default-slo-period', '4 weeks', examples])
    expect([badPeriod.code, badPeriod.stderr]).toEqual([2, 'cairn: --default-slo-period: expected a duration in whole minutes such as 30d or 28d (got "4 weeks")\n'])
    const none = await runCairn(['validate'])
    expect([none.code, none.stderr]).toEqual([2, 'cairn: no files given; usage: cairn validate [--default-slo-period 30d] <dir|file…>\n'])
    const missing = await runCairn(['validate', join(dir.path, 'nope')])
    expect([missing.code, missing.stdout]).toEqual([1, `${join(dir.path, 'nope')}:1:1: cannot read: no such file or directory\n0 SLOs valid, 1 error\n`])
  })
})

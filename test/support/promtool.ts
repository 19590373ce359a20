import { spawnSync } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { stringify } from 'yaml'

export interface ToolRun {
  status: number | null
  output: string
}

function run(args: string[], cwd?: string): ToolRun {
  const r = spawnSync('promtool', args, { cwd, encoding: 'utf8', timeout: 120_000 })
  return { status: r.status, output: `${r.stdout ?? ''}${r.stderr ?? ''}` }
}

/** `promtool check rules FILE…` */
export function checkRules(...files: string[]): ToolRun {
  return run(['check', 'rules', ...files])
}

/** Writes a `promtool test rules` file (as data) into `dir` and runs it there. */
export function testRules(dir: string, name: string, test: object): ToolRun {
  const file = join(dir, name)
  writeFileSync(file, stringify(test, { lineWidth: 0 }))
  return run(['test', 'rules', name], dir)
}

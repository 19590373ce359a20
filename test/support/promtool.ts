import { spawnSync } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { toolPath } from './requirements.ts'

export interface ToolRun {
  status: number | null
  output: string
}

function run(args: string[], cwd?: string): ToolRun {
  const r = spawnSync(toolPath('promtool'), args, { cwd, encoding: 'utf8', timeout: 120_000 })
  return { status: r.status, output: `${r.stdout ?? ''}${r.stderr ?? ''}` }
}

/** `promtool check rules FILE…` */
export function checkRules(...files: string[]): ToolRun {
  return run(['check', 'rules', ...files])
}

/**
 * Writes a `promtool test rules` file (as data) into `dir` and runs it there.
 * Written as JSON (which YAML reads), with the characters YAML takes for line
 * breaks escaped, so every string reaches promtool exactly.
 */
export function testRules(dir: string, name: string, test: object): ToolRun {
  const file = join(dir, name)
  writeFileSync(file, JSON.stringify(test, null, 1).replace(/[\u007f-\u009f\u2028\u2029\ufeff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`))
  return run(['test', 'rules', name], dir)
}

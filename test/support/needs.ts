import { relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, it, test, TestRunner } from 'vitest'
import { howToGet, isAvailable, noteSkip, STRICT_ENV, strict, type RequirementName, type ToolName } from './requirements.ts'

/**
 * `describe` and `it` for tests that need the peer data or a real tool: the
 * plain ones when everything is there; otherwise `.skip` ones, a note for the
 * run's summary line, and under CAIRN_TEST_STRICT=1 a failing test naming what
 * is missing.
 *
 *   const promtool = requireTool('promtool')
 *   promtool.describe('generated alerts under promtool test rules', () => { … })
 */
export interface Needs {
  /** Everything needed is there. */
  readonly available: boolean
  readonly describe: typeof describe.skip
  readonly it: typeof it.skip
}

// What this test file has noted already (each file runs in its own process).
const noted = new Set<string>()

export function requires(...names: RequirementName[]): Needs {
  const missing = names.filter((n) => !isAvailable(n))
  // Called where the tests are declared, so the note and the strict failure land in that file and suite.
  const runs = (): boolean => {
    if (missing.length === 0) return true
    if (!noted.has(missing.join())) {
      noted.add(missing.join())
      noteSkip({ file: currentFile(), missing })
      const what = missing.map(howToGet).join('; ')
      if (strict()) test(`needs ${missing.join(' and ')}`, () => { throw new Error(`${STRICT_ENV}=1 and missing ${what}`) })
    }
    return false
  }
  return {
    available: missing.length === 0,
    get describe() { return runs() ? describe : describe.skip },
    get it() { return runs() ? it : it.skip },
  }
}

export const requirePeers = (): Needs => requires('peers')
export const requireTool = (tool: ToolName): Needs => requires(tool)

const repoRoot = fileURLToPath(new URL('../../', import.meta.url))

function currentFile(): string {
  const file = TestRunner.getCurrentSuite()?.file?.filepath
  return file ? relative(repoRoot, file) : 'unknown test file'
}

import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { readSkipNotes, SKIPS_DIR_ENV, skipSummary } from './requirements.ts'

// Runs once around all test files. The test processes are forked after this
// and inherit the folder where they note what they skipped for want of peer
// data or a tool; the teardown prints one line saying what and how to get it.
// Installing the tools is not the tests' business: .ci/run does it.
export default function setup(): () => void {
  const dir = mkdtempSync(join(tmpdir(), 'cairn-test-skips-'))
  process.env[SKIPS_DIR_ENV] = dir
  return () => {
    const line = skipSummary(readSkipNotes(dir))
    rmSync(dir, { recursive: true, force: true })
    if (line) process.stderr.write(`\n${line}\n`)
  }
}

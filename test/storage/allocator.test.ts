import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { afterAll, describe, expect, it } from 'vitest'
import { EMBEDDED_ALLOCATOR_CONF } from '../../storage/allocator.ts'
import { tempDir } from '../support/temp.ts'

// The embedded engine's allocator gives freed memory back (storage/allocator.ts):
// a query that held a few hundred MiB leaves the RSS near where it started
// within 2 s, where jemalloc's own default (a 10 s decay, set here by the
// user's JE_MALLOC_CONF, which wins) keeps it. Each run is its own process:
// jemalloc reads its settings once, when chdb loads.

const probe = fileURLToPath(new URL('./allocator-probe.ts', import.meta.url))
const dirs = [tempDir('cairn-alloc-'), tempDir('cairn-alloc-')]
afterAll(() => dirs.forEach((d) => d.remove()))

async function run(dir: string, conf?: string): Promise<{ conf: string; before: number; after: number; settled: number }> {
  const env = { ...process.env }
  delete env.JE_MALLOC_CONF
  if (conf) env.JE_MALLOC_CONF = conf
  const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', probe, dir], { env, timeout: 60_000 })
  return JSON.parse(stdout.trim().split('\n').pop()!)
}

describe.skipIf(process.platform !== 'linux')('the embedded engine allocator (Linux: it reads /proc)', () => {
  it('returns what a query freed, unless the user configured jemalloc otherwise', async () => {
    const ours = await run(dirs[0]!.path)
    expect(ours.conf).toBe(EMBEDDED_ALLOCATOR_CONF)
    expect(ours.after - ours.before, 'the query must hold memory for the test to mean anything').toBeGreaterThan(60)
    expect(ours.settled - ours.before).toBeLessThan((ours.after - ours.before) / 3)

    const theirs = await run(dirs[1]!.path, 'dirty_decay_ms:10000,muzzy_decay_ms:10000')
    expect(theirs.conf).toBe('dirty_decay_ms:10000,muzzy_decay_ms:10000')
    expect(theirs.settled - theirs.before).toBeGreaterThan((theirs.after - theirs.before) / 2)
  }, 120_000)
})

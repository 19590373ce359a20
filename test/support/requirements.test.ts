import { spawnSync } from 'node:child_process'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, describe, expect, it } from 'vitest'
import { findTool, peerCandidates, skipSummary } from './requirements.ts'
import { tempDir } from './temp.ts'

// Skips for want of a tool or of the peer data: one summary line at the end of
// the run, and failures under CAIRN_TEST_STRICT=1. Checked by running vitest
// with the suite's own global setup over a fixture, with an empty PATH.

const root = fileURLToPath(new URL('../../', import.meta.url))
const dir = tempDir('cairn-requirements-')
afterAll(() => dir.remove())

function runFixture(env: Record<string, string>) {
  const bin = join(dir.path, 'empty-bin')
  const peers = join(dir.path, 'no-peers')
  mkdirSync(bin, { recursive: true })
  mkdirSync(peers, { recursive: true })
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('CAIRN_')))
  const run = spawnSync(process.execPath, [join(root, 'node_modules/vitest/vitest.mjs'), 'run', '--config', 'test/fixtures/requirements/vitest.config.ts'], {
    cwd: root,
    env: { ...clean, PATH: bin, CAIRN_PEERS_DIR: peers, NO_COLOR: '1', ...env },
    encoding: 'utf8',
    timeout: 120_000,
  })
  return { status: run.status, output: `${run.stdout}${run.stderr}` }
}

describe('tests that need a tool or the peer data', () => {
  it('are skipped when it is missing, and the run passes with one line saying what and how to get it', () => {
    const run = runFixture({})
    expect(run.status, run.output).toBe(0)
    expect(run.output).toMatch(/1 passed \| 2 skipped/)
    const lines = run.output.split('\n').filter((l) => l.startsWith('Skipped the tests'))
    expect(lines).toHaveLength(1)
    expect(lines[0]).toContain('promtool: Debian package prometheus')
    expect(lines[0]).toContain('set CAIRN_PEERS_DIR to a shared/peers folder')
  })

  it('fail under CAIRN_TEST_STRICT=1, naming what is missing', () => {
    const run = runFixture({ CAIRN_TEST_STRICT: '1' })
    expect(run.status, run.output).toBe(1)
    expect(run.output).toContain('CAIRN_TEST_STRICT=1 and missing promtool: Debian package prometheus')
    expect(run.output).toMatch(/CAIRN_TEST_STRICT=1 and missing peer test data/)
    expect(run.output).toMatch(/^CAIRN_TEST_STRICT=1: failed the tests in 1 file\(s\)/m)
  })
})

describe('finding what the tests need', () => {
  it('finds a tool on PATH under any of its names, and nothing elsewhere', () => {
    const bin = join(dir.path, 'am-bin')
    mkdirSync(bin, { recursive: true })
    writeFileSync(join(bin, 'alertmanager'), '#!/bin/sh\n', { mode: 0o755 })
    const path = process.env.PATH
    process.env.PATH = bin
    try {
      // Debian calls it prometheus-alertmanager; upstream and Homebrew, alertmanager.
      expect(findTool('alertmanager')).toBe(join(bin, 'alertmanager'))
      expect(findTool('chromium')).toBeUndefined()
    } finally {
      process.env.PATH = path
    }
  })

  it('looks for peer data only where CAIRN_PEERS_DIR says when it is set, else beside the clone (and its main clone)', () => {
    const saved = process.env.CAIRN_PEERS_DIR
    try {
      process.env.CAIRN_PEERS_DIR = '/somewhere/peers'
      expect(peerCandidates()).toEqual(['/somewhere/peers'])
      delete process.env.CAIRN_PEERS_DIR
      const candidates = peerCandidates()
      expect(candidates[0]).toBe(join(root, '..', 'shared', 'peers'))
      // The rest (a worktree's main clone's) are also `shared/peers` beside a clone: no fixed path of some machine.
      expect(candidates.length).toBeLessThanOrEqual(2)
      for (const c of candidates) expect(c.endsWith(join('shared', 'peers'))).toBe(true)
    } finally {
      if (saved === undefined) delete process.env.CAIRN_PEERS_DIR
      else process.env.CAIRN_PEERS_DIR = saved
    }
  })

  it('says nothing when nothing was skipped, and one line per run otherwise', () => {
    expect(skipSummary([], false)).toBeUndefined()
    const line = skipSummary([{ file: 'a.test.ts', missing: ['promtool'] }, { file: 'b.test.ts', missing: ['promtool', 'amtool'] }], false)!
    expect(line).not.toContain('\n')
    expect(line).toMatch(/^Skipped the tests in 2 file\(s\) .*promtool: Debian package prometheus \(2 files\); amtool: Debian package prometheus-alertmanager \(1 file\)\. CAIRN_TEST_STRICT=1 makes this a failure\.$/)
  })
})

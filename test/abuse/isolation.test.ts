// The pieces that keep one request from holding the process: the body budget,
// the parse workers, and the limits on SLO spec YAML.

import { describe, expect, it } from 'vitest'
import { ByteBudget, BudgetExhaustedError, TaskError, WorkerCrashedError, WorkerPool } from '../../isolation/index.ts'
import { parseSloDocuments, SPEC_LIMITS, checkAndParseSpecs } from '../../slo-engine/index.ts'
import { sloSpec } from '../../bench/hostile-inputs.ts'
import { parseSpecBody } from '../../api/body.ts'
import { ApiError } from '../../api/errors.ts'
import { LIMIT_DEFAULTS, createIsolation } from '../../isolation/index.ts'

const TASKS = new URL('../fixtures/pool-tasks.ts', import.meta.url).href

describe('ByteBudget', () => {
  it('lets one request use it all, refuses the next beyond it, and takes back what is released', () => {
    const budget = new ByteBudget(100, 3)
    const a = budget.reserve()
    a.growTo(150) // alone: its own size limit bounds it
    const b = budget.reserve()
    expect(() => b.growTo(1)).toThrow(BudgetExhaustedError)
    a.release()
    b.growTo(60)
    const c = budget.reserve()
    c.growTo(40)
    expect(budget.inUse).toBe(100)
    const err = (() => {
      try {
        budget.reserve().growTo(1)
      } catch (e) {
        return e as BudgetExhaustedError
      }
    })()
    expect(err?.retryAfterSeconds).toBe(3)
    expect(err?.message).toMatch(/limits\.inflightBodyBytes/)
    b.release()
    c.release()
    c.release() // twice is once
    expect(budget.inUse).toBe(0)
    expect(budget.peak).toBe(150)
  })
})

describe('WorkerPool', () => {
  it('runs a task in a worker thread, moving the buffers given', async () => {
    const pool = new WorkerPool({ workers: 1 })
    try {
      const bytes = new Uint8Array([1, 2, 3]).buffer
      const out = await pool.run<{ text: string; sum: number }>(TASKS, 'echo', { text: 'abc', bytes }, [bytes])
      expect(out).toMatchObject({ text: 'ABC', sum: 6 })
      expect(bytes.byteLength).toBe(0) // transferred, not copied
    } finally {
      await pool.close()
    }
  }, 60_000)

  it('warm() starts every worker and loads the task modules before the first task', async () => {
    const pool = new WorkerPool({ workers: 2 })
    try {
      await pool.warm([TASKS])
      const before = Date.now()
      // Two at once: one on each worker, both of which loaded the module during warm().
      const loaded = await Promise.all([pool.run<number>(TASKS, 'loadedAt', {}), pool.run<number>(TASKS, 'loadedAt', {})])
      for (const at of loaded) expect(at).toBeLessThanOrEqual(before)
    } finally {
      await pool.close()
    }
  }, 60_000)

  it('hands back a task error with its name and status', async () => {
    const pool = new WorkerPool({ workers: 1 })
    try {
      const err = await pool.run(TASKS, 'fail', { message: 'too big' }).catch((e: unknown) => e)
      expect(err).toBeInstanceOf(TaskError)
      expect(err).toMatchObject({ name: 'HttpError', message: 'too big', status: 413 })
    } finally {
      await pool.close()
    }
  }, 60_000)

  it('fails only the task that outgrows its heap, and replaces the worker', async () => {
    const pool = new WorkerPool({ workers: 1, maxHeapMb: 64 })
    try {
      const err = await pool.run(TASKS, 'exhaust', {}).catch((e: unknown) => e)
      expect(err).toBeInstanceOf(WorkerCrashedError)
      const bytes = new Uint8Array([5]).buffer
      expect(await pool.run(TASKS, 'echo', { text: 'next', bytes })).toMatchObject({ text: 'NEXT', sum: 5 })
    } finally {
      await pool.close()
    }
  }, 60_000)
})

describe('SLO spec YAML limits', () => {
  const keys = (n: number) => Array.from({ length: n }, (_, i) => `k${i}: v`).join('\n')

  it('refuses more nodes than the limit before parsing, at the line where the limit is crossed', () => {
    const { errors } = parseSloDocuments(keys(20_000), 'big.yaml')
    expect(errors).toEqual([{ file: 'big.yaml', line: SPEC_LIMITS.maxNodes / 2 + 1, column: 1, message: expect.stringMatching(/more than 10000 YAML nodes/) }])
  })

  it('refuses more bytes than the limit as a size problem', () => {
    const checked = checkAndParseSpecs(`# ${'x'.repeat(SPEC_LIMITS.maxBytes)}\n`, 'body')
    expect(checked).toMatchObject({ overLimit: { kind: 'size', line: 1, column: 1 } })
  })

  it.each([
    ['flow', '['.repeat(200_000), 1, 33],
    ['block sequences on one line', `${'- '.repeat(10_000)}x`, 1, 65],
    ['indented mappings', Array.from({ length: 40 }, (_, i) => `${' '.repeat(2 * i)}k${i}:`).join('\n'), 33, 65],
  ])('refuses %s nested deeper than the limit, with its position', (_what, text, line, column) => {
    const checked = checkAndParseSpecs(text, 'deep.yaml')
    expect(checked).toEqual({ overLimit: expect.objectContaining({ kind: 'depth', line, column }) })
  })

  it('accepts nesting up to the limit', () => {
    const text = `${sloSpec('nested')}\n  labels: ${'{a: '.repeat(10)}x${'}'.repeat(10)}\n`
    expect(checkAndParseSpecs(text, 'ok.yaml')).toHaveProperty('parsed')
  })

  it('finds a duplicate key among 5,000 with a linear check, at the second occurrence', () => {
    const { errors } = parseSloDocuments(`${keys(4_999)}\nk17: again`, 'dup.yaml')
    expect(errors).toEqual([{ file: 'dup.yaml', line: 5_000, column: 1, message: 'invalid YAML: map keys must be unique ("k17" is given twice)' }])
  })

  it('reports an alias bomb as an error of its document, not an exception', () => {
    const laughs = ['a: &a [x, x, x, x, x, x, x, x, x]', ...'bcdefgh'.split('').map((c, i) => `${c}: &${c} [${Array(9).fill(`*${'abcdefg'[i]}`).join(', ')}]`)].join('\n')
    const { errors } = parseSloDocuments(laughs, 'laughs.yaml')
    expect(errors).toEqual([{ file: 'laughs.yaml', line: 1, column: 1, message: expect.stringMatching(/alias/) }])
  })

  it('still parses a valid spec', () => {
    const { slos, errors } = parseSloDocuments(sloSpec('fine'), 'fine.yaml')
    expect(errors).toEqual([])
    expect(slos.map((s) => s.id)).toEqual(['abuse-fine'])
  })
})

describe('spec bodies parsed in a parse worker', () => {
  const notified = (name: string, url: string) => `${sloSpec(name)}\n  alerting:\n    notify:\n      - { type: webhook, url: ${url} }\n`
  const options = { checkNotifyUrl: (url: string) => (url.startsWith('https://hooks.example.com/') ? undefined : `${url} is not in the allow-list`) }

  it('gives the same SLOs as inline, and still applies the notification-URL check', async () => {
    const isolation = createIsolation(LIMIT_DEFAULTS)
    try {
      // Over 16 KiB: parsed in a worker.
      const specs = Array.from({ length: 60 }, (_, i) => notified(`s${i}`, i === 7 ? 'http://evil.example/x' : 'https://hooks.example.com/ok'))
      const text = specs.join('---\n')
      expect(text.length).toBeGreaterThan(16 * 1024)
      const inWorker = await parseSpecBody(isolation, text, 'body', options)
      expect(inWorker.slos).toHaveLength(59)
      expect(inWorker.errors).toEqual([expect.objectContaining({ file: 'body', message: expect.stringMatching(/notify\[0\]\.url: http:\/\/evil\.example\/x is not in the allow-list/) })])
      const inline = parseSloDocuments(text, 'body', options)
      expect(inWorker.slos).toEqual(inline.slos)
    } finally {
      await isolation.pool.close()
    }
  }, 60_000)

  it('answers a body over the size limits with 413 and one nested too deep with 400, each with its position', async () => {
    const isolation = createIsolation(LIMIT_DEFAULTS)
    try {
      const big = Array.from({ length: 20_000 }, (_, i) => `k${i}: v`).join('\n')
      const tooLarge = await parseSpecBody(isolation, big, 'body').catch((e: unknown) => e)
      expect(tooLarge).toBeInstanceOf(ApiError)
      expect(tooLarge).toMatchObject({ status: 413, code: 'payload_too_large', message: expect.stringMatching(/^5001:1: the spec has more than 10000 YAML nodes/) })
      const deep = await parseSpecBody(isolation, `x: ${'['.repeat(20_000)}`, 'body').catch((e: unknown) => e)
      expect(deep).toMatchObject({ status: 400, code: 'invalid_spec', message: expect.stringMatching(/^1:\d+: mappings and sequences nest deeper than 32 levels/) })
    } finally {
      await isolation.pool.close()
    }
  }, 60_000)
})

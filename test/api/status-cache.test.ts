import { describe, expect, it } from 'vitest'
import { statusListCache } from '../../api/status-cache.ts'

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** A read that returns "v1", "v2", … and can be held open until released. */
function reader() {
  let n = 0
  let gate: Promise<void> = Promise.resolve()
  let open = () => {}
  return {
    get reads() {
      return n
    },
    hold() {
      gate = new Promise((r) => (open = r))
    },
    release: () => open(),
    read: async () => {
      const mine = ++n
      await gate
      return `v${mine}`
    },
  }
}

describe('statusListCache', () => {
  it('shares one read between concurrent requests and reuses it within the TTL', async () => {
    const r = reader()
    const cache = statusListCache(10_000, r.read)
    expect(await Promise.all([cache.get(), cache.get(), cache.get()])).toEqual(['v1', 'v1', 'v1'])
    expect(await cache.get()).toBe('v1')
    expect(r.reads).toBe(1)
  })

  it('serves the stale answer while one refresh runs, then the fresh one', async () => {
    const r = reader()
    const cache = statusListCache(200, r.read)
    await cache.get()
    await sleep(250) // stale, and well within 10 × TTL
    r.hold()
    expect(await Promise.all([cache.get(), cache.get()])).toEqual(['v1', 'v1'])
    expect(r.reads).toBe(2)
    r.release()
    await sleep(5)
    expect(await cache.get()).toBe('v2')
  })

  it('waits for fresh data once the answer is older than ten TTLs', async () => {
    const r = reader()
    const cache = statusListCache(10, r.read)
    await cache.get()
    await sleep(120)
    expect(await cache.get()).toBe('v2')
  })

  it('does not keep what a read in flight during clear() returns', async () => {
    const r = reader()
    const cache = statusListCache(10_000, r.read)
    r.hold()
    const before = cache.get()
    cache.clear()
    r.release()
    expect(await before).toBe('v1')
    expect(await cache.get()).toBe('v2')
  })

  it('reads every time with a TTL of 0', async () => {
    const r = reader()
    const cache = statusListCache(0, r.read)
    await cache.get()
    await cache.get()
    expect(r.reads).toBe(2)
  })
})

import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { configSchema, leaseTtlMs } from '../../config/index.ts'
import { createLogger, createMetricsRegistry } from '../../instrumentation/index.ts'
import { createClickHouseLease, createStaticLease, fencedStorage, LEASE_TABLE, leaseMigrations, NotLeaderError, registerLeaseMetrics, type Lease } from '../../slo-engine/index.ts'
import { migrate, openStorage, StorageUnavailableError, type Storage } from '../../storage/index.ts'
import { tempDir } from '../support/temp.ts'

// The engine lease against chDB: claims that race, renewals, takeovers after a
// leader dies or stalls, a graceful release, and the fence on writes. Several
// leases in one process stand for several replicas (each its own claim).

const dir = tempDir('cairn-lease-')
let storage: Storage
const logger = createLogger('silent')
const TTL_MS = 2000
let serial = 0
const started: Lease[] = []

beforeAll(async () => {
  storage = await openStorage(configSchema.parse({ storage: { dataDir: join(dir.path, 'data') } }).storage)
  await migrate(storage, leaseMigrations)
})
afterAll(async () => {
  await storage.close()
  dir.remove()
})
afterEach(async () => {
  for (const lease of started.splice(0)) await lease.stop().catch(() => undefined)
})

/** A storage that can be made to fail (a replica cut off from ClickHouse) or to hang (a replica paused). */
function switchable(inner: Storage) {
  let mode: 'up' | 'down' | 'stall' = 'up'
  let release: (() => void)[] = []
  const gate = async () => {
    if (mode === 'stall') await new Promise<void>((resolve) => release.push(resolve))
    if (mode === 'down') throw new StorageUnavailableError('cut off (test)')
  }
  const wrapped: Storage = {
    ...inner,
    query: async (sql, params, settings) => (await gate(), inner.query(sql, params, settings)),
    command: async (sql, params, settings) => (await gate(), inner.command(sql, params, settings)),
  }
  return {
    storage: wrapped,
    set(next: 'up' | 'down' | 'stall') {
      mode = next
      if (next !== 'stall') for (const r of release.splice(0)) r()
    },
  }
}

/** A lease of its own name (tests do not share one), recording its changes of leadership. */
function replicas(count: number, name = `test-${++serial}`, store: (i: number) => Storage = () => storage) {
  return Array.from({ length: count }, (_, i) => {
    const changes: (number | undefined)[] = []
    const lease = createClickHouseLease({ storage: store(i), logger, replicaId: `replica-${i}`, ttlMs: TTL_MS, name })
    started.push(lease)
    return { lease, changes, start: () => lease.start(async (epoch) => void changes.push(epoch)) }
  })
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** Samples every replica's view every 10 ms for `ms`: fails if two ever lead at once; returns the leaders seen. */
async function watch(leases: Lease[], ms: number): Promise<Set<string>> {
  const leaders = new Set<string>()
  const until = Date.now() + ms
  while (Date.now() < until) {
    const leading = leases.filter((l) => l.epoch() !== undefined)
    expect(leading.length).toBeLessThanOrEqual(1)
    for (const l of leading) leaders.add(`${l.replicaId}@${l.epoch()}`)
    await sleep(10)
  }
  return leaders
}

async function waitUntil(check: () => boolean, timeoutMs: number): Promise<number> {
  const start = Date.now()
  while (!check()) {
    if (Date.now() - start > timeoutMs) throw new Error(`not within ${timeoutMs} ms`)
    await sleep(10)
  }
  return Date.now() - start
}

describe('engine lease on chDB', () => {
  it('gives the lease to exactly one of several replicas claiming at once, and all agree which', async () => {
    for (let round = 0; round < 5; round++) {
      const group = replicas(4)
      await Promise.all(group.map((r) => r.start()))
      const leaders = group.filter((r) => r.lease.epoch() !== undefined)
      expect(leaders).toHaveLength(1)
      expect(leaders[0]!.changes).toEqual([1])
      const winner = leaders[0]!.lease.replicaId
      for (const r of group) expect(r.lease.status()).toMatchObject({ epoch: 1, leader: winner, role: r.lease.replicaId === winner ? 'leader' : 'standby' })
      // Every claim but the winner's was deduplicated away: one row for epoch 1.
      const name = `test-${serial}`
      const rows = await storage.query<{ claims: string }>(`SELECT uniqExact(claim_id) AS claims FROM ${LEASE_TABLE} WHERE name = {name:String}`, { name })
      expect(Number(rows[0]!.claims)).toBe(1)
      for (const r of group) await r.lease.stop()
    }
  })

  it('stores one claim per epoch even when both claims pass their condition: the table deduplicates by token', async () => {
    // What two replicas racing on a server can do: both read epoch 0 as free, both insert.
    const claim = (id: string) =>
      storage.command(`INSERT INTO ${LEASE_TABLE} (name, epoch, claim_id, holder, ttl_ms) SETTINGS insert_deduplication_token = 'dedup-probe/1' SELECT 'dedup-probe', 1, {id:String}, {id:String}, 1000`, { id })
    await Promise.all([claim('first'), claim('second'), claim('third')])
    const rows = await storage.query<{ claim_id: string }>(`SELECT claim_id FROM ${LEASE_TABLE} WHERE name = 'dedup-probe'`)
    expect(rows).toHaveLength(1)
  })

  it('keeps the lease while it renews, well past its TTL', async () => {
    const [a, b] = replicas(2)
    await a!.start()
    await b!.start()
    const leaders = await watch([a!.lease, b!.lease], 3 * TTL_MS)
    expect([...leaders]).toEqual(['replica-0@1'])
    expect(b!.changes).toEqual([])
    expect(a!.lease.errors()).toBe(0)
  })

  it('moves to a standby within TTL + grace + one check after the leader is cut off, never with two leaders', async () => {
    const stores = [switchable(storage), switchable(storage)]
    const [a, b] = replicas(2, undefined, (i) => stores[i]!.storage)
    await a!.start()
    await b!.start()
    expect(a!.lease.epoch()).toBe(1)
    stores[0]!.set('down')
    const cutAt = Date.now()
    const leaders = watch([a!.lease, b!.lease], 2.5 * TTL_MS)
    await waitUntil(() => b!.lease.epoch() === 2, 3 * TTL_MS)
    const tookMs = Date.now() - cutAt
    const seen = [...(await leaders)]
    expect(seen).toContain('replica-1@2')
    expect(seen.filter((l) => l !== 'replica-0@1' && l !== 'replica-1@2')).toEqual([])
    // TTL, then a grace of TTL/10, then the next check (every TTL/3), plus this busy machine's scheduling.
    expect(tookMs).toBeLessThan(TTL_MS + TTL_MS / 10 + TTL_MS / 3 + 500)
    expect(a!.changes).toEqual([1, undefined])
    expect(b!.changes).toEqual([2])
    // Back online, the old leader stands by: its renewal never revives epoch 1.
    stores[0]!.set('up')
    await watch([a!.lease, b!.lease], TTL_MS)
    expect(a!.lease.status()).toMatchObject({ role: 'standby', leader: 'replica-1', epoch: 2 })
  })

  it('does not let a leader that stalled past its TTL come back over the new one', async () => {
    const stores = [switchable(storage), switchable(storage)]
    const [a, b] = replicas(2, undefined, (i) => stores[i]!.storage)
    await a!.start()
    await b!.start()
    stores[0]!.set('stall')
    await waitUntil(() => b!.lease.epoch() === 2, 3 * TTL_MS)
    expect(a!.lease.epoch()).toBeUndefined()
    // The stalled renewal now goes through: it must not take.
    stores[0]!.set('up')
    const leaders = await watch([a!.lease, b!.lease], 2 * TTL_MS)
    expect([...leaders]).toEqual(['replica-1@2'])
  })

  it('hands over at the next check after a graceful stop, not a TTL later', async () => {
    const [a, b] = replicas(2)
    await a!.start()
    await b!.start()
    await a!.lease.stop()
    expect(a!.changes).toEqual([1, undefined])
    const tookMs = await waitUntil(() => b!.lease.epoch() === 2, 3 * TTL_MS)
    expect(tookMs).toBeLessThan(TTL_MS)
  })

  it('refuses the writes of a replica that does not hold the epoch its work runs under', async () => {
    const [a, b] = replicas(2)
    await a!.start()
    await b!.start()
    const fenced = (lease: Lease, epoch: number | undefined) => fencedStorage(storage, lease, () => epoch)
    await storage.command('CREATE TABLE IF NOT EXISTS fence_probe (x UInt8) ENGINE = MergeTree ORDER BY x')
    await fenced(a!.lease, 1).insertRows('fence_probe', [{ x: 1 }])
    await expect(fenced(b!.lease, 1).insertRows('fence_probe', [{ x: 2 }])).rejects.toBeInstanceOf(NotLeaderError)
    await expect(fenced(a!.lease, undefined).command('INSERT INTO fence_probe VALUES (3)')).rejects.toThrow(/not the engine leader any more/)
    // Reads pass: a standby serves /readyz and its own checks.
    expect(await fenced(b!.lease, 1).query('SELECT x FROM fence_probe ORDER BY x')).toEqual([{ x: 1 }])
  })

  it('shows on /metrics whether this replica leads, the epoch, takeovers and lease errors', async () => {
    const stores = [switchable(storage), switchable(storage)]
    const [a, b] = replicas(2, undefined, (i) => stores[i]!.storage)
    const registries = [createMetricsRegistry(), createMetricsRegistry()]
    registerLeaseMetrics(registries[0]!, a!.lease)
    registerLeaseMetrics(registries[1]!, b!.lease)
    const read = async (i: number) => {
      const text = await registries[i]!.metrics()
      const value = (name: string) => Number(/^(\S+) (\S+)$/m.exec(text.split('\n').filter((l) => l.startsWith(`${name} `)).join('\n'))?.[2])
      return ['cairn_engine_leader', 'cairn_engine_lease_epoch', 'cairn_engine_lease_takeovers_total'].map(value)
    }
    await a!.start()
    await b!.start()
    expect(await read(0)).toEqual([1, 1, 1])
    expect(await read(1)).toEqual([0, 1, 0])
    stores[0]!.set('down')
    await waitUntil(() => b!.lease.epoch() === 2, 3 * TTL_MS)
    expect(await read(0)).toEqual([0, 1, 1])
    expect(await read(1)).toEqual([1, 2, 1])
    expect(/^cairn_engine_lease_errors_total ([1-9]\d*)$/m.test(await registries[0]!.metrics())).toBe(true)
    stores[0]!.set('up')
  })

  it('takes its TTL and replica id from config, with clear errors', () => {
    const engine = (e: object) => configSchema.safeParse({ engine: e })
    expect(leaseTtlMs(configSchema.parse({}).engine.leaseTtl)).toBe(30_000)
    expect(leaseTtlMs(configSchema.parse({ engine: { leaseTtl: '1500ms' } }).engine.leaseTtl)).toBe(1500)
    expect(engine({ leaseTtl: '500ms' }).error!.issues[0]).toMatchObject({ path: ['engine', 'leaseTtl'], message: 'expected at least 1s' })
    expect(engine({ leaseTtl: '30 seconds' }).error!.issues[0]!.message).toBe('expected a duration such as 30s, 1m or 1500ms')
    expect(engine({ replicaId: 'engine a' }).error!.issues[0]).toMatchObject({ path: ['engine', 'replicaId'], message: 'expected 1 to 128 printable characters without spaces' })
  })

  it('on the embedded store always leads, at epoch 0, with nothing written', async () => {
    const lease = createStaticLease('solo')
    const changes: (number | undefined)[] = []
    await lease.start(async (e) => void changes.push(e))
    expect(lease.epoch()).toBe(0)
    expect(lease.status()).toMatchObject({ role: 'leader', epoch: 0, leader: 'solo' })
    await lease.stop()
    expect(changes).toEqual([0, undefined])
  })
})

import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { configSchema } from '../../config/index.ts'
import type { Storage } from '../../storage/index.ts'
import { loadAlertStateChanges, type AlertState } from '../../alerts/index.ts'
import { saveAlertStates } from '../../alerts/state-store.ts'
import { openMigratedStorage } from '../support/storage.ts'
import { tempDir } from '../support/temp.ts'

// Every alert state change the alerter saves stays readable (cairn_alert_history),
// even after the state table has merged down to the newest row per severity:
// the reports' alert durations rest on it.

const dir = tempDir()
let storage: Storage

beforeAll(async () => {
  storage = await openMigratedStorage(configSchema.parse({ storage: { dataDir: join(dir.path, 'data') } }))
})
afterAll(async () => {
  await storage?.close()
  dir.remove()
})

const state = (status: AlertState['status'], updatedAtMs: number, firedAtMs?: number, resolvedAtMs?: number): AlertState => ({
  sloId: 'shop-availability', severity: 'page', status, firedAtMs, resolvedAtMs, delivered: {}, notified: [], labels: {}, annotations: {}, updatedAtMs,
})

describe('alert state history', () => {
  it('keeps two firings and their resolutions after the state table merges', async () => {
    const t = Date.UTC(2026, 10, 24, 10)
    const min = 60_000
    for (const s of [state('firing', t, t), state('resolved', t + 30 * min, t, t + 30 * min), state('firing', t + 60 * min, t + 60 * min), state('resolved', t + 75 * min, t + 60 * min, t + 75 * min)]) {
      await saveAlertStates(storage, [s])
    }
    await storage.command('OPTIMIZE TABLE cairn_alert_state FINAL')
    expect((await storage.query<{ n: string }>("SELECT count() AS n FROM cairn_alert_state WHERE slo_id = 'shop-availability'"))[0]!.n).toBe('1')
    const changes = await loadAlertStateChanges(storage, 'shop-availability')
    expect(changes.map((c) => [c.status, c.firedAtMs, c.resolvedAtMs])).toEqual([
      ['resolved', t + 60 * min, t + 75 * min],
      ['firing', t + 60 * min, undefined],
      ['resolved', t, t + 30 * min],
      ['firing', t, undefined],
    ])
  })
})

import { afterAll, describe, expect, it, vi } from 'vitest'
import { startCairn } from '../support/cairn-process.ts'
import { tempDir } from '../support/temp.ts'

// `npm start` on a fresh clone: `node bin/cairn.js serve` from the repository
// root with the default SLO directory (./slos) and an empty data directory.
// Cairn traces its own requests into its own collector and the SLOs in slos/
// read them, so the API shows live SLOs with values. The defaults as they are:
// an SLO counts whole minutes, and the tick of each minute runs 15 s after it
// ends (CAIRN_EVAL_SETTLE), so values appear 15 to 80 s after the launch.

const dir = tempDir()
afterAll(() => dir.remove())

interface SloSummary {
  id: string
  status: { sli: number | null; events: { total: number | null; bad: number | null } }
}

describe('the first run', () => {
  it('shows cairn’s own SLOs with SLI values within two minutes', { timeout: 180_000 }, async () => {
    const launched = Date.now()
    const cairn = await startCairn({ CAIRN_DATA_DIR: dir.path })
    try {
      const list = async () => ((await (await fetch(`${cairn.apiUrl}/api/v1/slos`)).json()) as { slos: SloSummary[] }).slos
      expect((await list()).map((s) => s.id)).toEqual(['cairn-api-availability', 'cairn-api-latency', 'cairn-collector-accepted'])
      const slos = await vi.waitFor(
        async () => {
          // What a newcomer does: look at the API now and then; and something sends telemetry (here an empty export and an undecodable one).
          const post = (body: string) => fetch(`${cairn.otlpUrl}/v1/logs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body })
          expect((await post('{"resourceLogs":[]}')).status).toBe(200)
          expect((await post('not json')).status).toBe(400)
          const now = await list()
          expect(now.find((s) => s.id === 'cairn-collector-accepted')?.status.sli).not.toBeNull()
          expect(now.find((s) => s.id === 'cairn-api-availability')?.status.sli).not.toBeNull()
          return now
        },
        // Two minutes from the launch, start-up included.
        { timeout: 120_000 - (Date.now() - launched), interval: 2_000 },
      )
      expect(Date.now() - launched).toBeLessThan(120_000)
      const byId = new Map(slos.map((s) => [s.id, s.status]))
      expect(byId.get('cairn-api-availability')).toMatchObject({ sli: 1, events: { bad: 0 } })
      expect(byId.get('cairn-api-latency')!.events.total).toBeGreaterThan(0)
      // A sender's undecodable body (400) is its own fault: no bad event.
      const accepted = byId.get('cairn-collector-accepted')!
      expect(accepted).toMatchObject({ sli: 1, events: { bad: 0 } })
      expect(accepted.events.total).toBeGreaterThan(0)
    } finally {
      expect(await cairn.stop()).toBe(0)
    }
  })
})

import { describe, expect, it } from 'vitest'
import {
  alertPolicyFor,
  derivePolicySpec,
  evaluateConditions,
  extraWindowsSeconds,
  periodSeconds,
  REFERENCE_POLICY,
} from '../../alerts/index.ts'
import type { SloEvaluation } from '../../slo-engine/index.ts'
import { makeSlo } from '../fixtures/alerts/slos.ts'

const M = 60
const H = 3600
const D = 86400

/** [severity/speed, short, long, factor] rows of a policy, for compact assertions. */
function table(slo = makeSlo({ name: 'a', service: 's' })) {
  return alertPolicyFor(slo).pairs.map((p) => [`${p.severity}/${p.speed}`, p.shortWindowSeconds, p.longWindowSeconds, p.burnRateFactor])
}

const rolling = (days: number) => makeSlo({ name: 'a', service: 's', window: { kind: 'rolling', seconds: days * D } })

describe('alert policy', () => {
  it('is the SRE Workbook table for a 30-day SLO: 14.4, 6, 3 and 1 derived from budget shares', () => {
    expect(table()).toEqual([
      ['page/quick', 5 * M, 1 * H, 14.4],
      ['page/slow', 30 * M, 6 * H, 6],
      ['ticket/quick', 2 * H, 1 * D, 3],
      ['ticket/slow', 6 * H, 3 * D, 1],
    ])
    expect(alertPolicyFor(rolling(30)).source).toBe('reference')
  })

  it('keeps the 30-day windows for 28 days and derives the factors Sloth uses', () => {
    expect(table(rolling(28))).toEqual([
      ['page/quick', 5 * M, 1 * H, 13.44],
      ['page/slow', 30 * M, 6 * H, 5.6000000000000005],
      ['ticket/quick', 2 * H, 1 * D, 2.8000000000000003],
      ['ticket/slow', 6 * H, 3 * D, 0.9333333333333333],
    ])
  })

  it('scales windows with a 7-day period so each pair still spends the same share of the budget', () => {
    // 1h × 7/30 = 14m; 5m × 7/30 < 5m → 5m floor; 30m × 7/30 = 7m; 6h × 7/30 = 84m;
    // 2h × 7/30 = 28m snaps to 30m and 1d × 7/30 = 5.6h to 6h (within 10%); 3d × 7/30 = 1008m.
    const rows = table(rolling(7))
    expect(rows.map((r) => r.slice(0, 3))).toEqual([
      ['page/quick', 5 * M, 14 * M],
      ['page/slow', 7 * M, 84 * M],
      ['ticket/quick', 30 * M, 6 * H],
      ['ticket/slow', 84 * M, 1008 * M],
    ])
    // 2% of 168h in 14m = 14.4; 5% of 168h in 84m = 6; 10% in 6h = 2.8; 10% in 1008m = 1.
    expect(rows.map((r) => r[3] as number).map((f) => Number(f.toFixed(9)))).toEqual([14.4, 6, 2.8, 1])
    expect(extraWindowsSeconds(rolling(7))).toEqual([7 * M, 14 * M, 84 * M, 1008 * M])
    expect(extraWindowsSeconds(rolling(30))).toEqual([])
  })

  it('reads calendar periods at their nominal length (a month as 30 days)', () => {
    const month = makeSlo({ name: 'a', service: 's', window: { kind: 'calendar', period: 'month', timeZone: 'Europe/Berlin' } })
    expect(periodSeconds(month.window)).toBe(30 * D)
    expect(table(month)).toEqual(table())
    const quarter = makeSlo({ name: 'a', service: 's', window: { kind: 'calendar', period: 'quarter', timeZone: 'UTC' } })
    expect(derivePolicySpec(periodSeconds(quarter.window)).page.quick).toEqual({ budgetPercent: 2, shortWindowSeconds: 15 * M, longWindowSeconds: 3 * H })
  })

  it('uses a per-SLO override as given, deriving only its factors', () => {
    const policy = { ...REFERENCE_POLICY, page: { ...REFERENCE_POLICY.page, quick: { budgetPercent: 1, shortWindowSeconds: 2 * M, longWindowSeconds: 30 * M } } }
    const slo = makeSlo({ name: 'a', service: 's', alerting: { ...rolling(30).alerting, policy } })
    expect(table(slo)[0]).toEqual(['page/quick', 2 * M, 30 * M, 14.4])
    expect(alertPolicyFor(slo).source).toBe('slo')
    expect(extraWindowsSeconds(slo)).toEqual([2 * M])
  })

  it('fires a severity only when both windows of one of its pairs burn above the factor', () => {
    const policy = alertPolicyFor(rolling(30))
    const evaluation = (burnRates: Record<string, number>): SloEvaluation => ({
      sloId: 's-a', evaluatedAtMs: 0, status: 'ok', objectiveRatio: 0.999, sli: 0.99, eventsTotal: 1000, eventsBad: 10,
      budgetTotal: 1, budgetConsumed: 10, budgetRemainingRatio: -9, burnRates,
    })
    const fired = (burnRates: Record<string, number>) => {
      const c = evaluateConditions(policy, evaluation(burnRates))
      return [c.page.active, c.ticket.active]
    }
    expect(fired({ '5m': 14.5, '1h': 14.5 })).toEqual([true, false])
    expect(fired({ '5m': 14.4, '1h': 20 })).toEqual([false, false]) // at the factor is not above it
    expect(fired({ '5m': 20, '1h': 14.3 })).toEqual([false, false])
    expect(fired({ '30m': 6.1, '6h': 6.1 })).toEqual([true, false])
    expect(fired({ '2h': 3.1, '1d': 3.1 })).toEqual([false, true])
    expect(fired({ '6h': 1.1, '3d': 1.1 })).toEqual([false, true])
    expect(fired({ '6h': 1.1 })).toEqual([false, false]) // no data in 3d: no alert
    expect(fired({ '5m': 1000, '1h': 1000, '30m': 1000, '6h': 1000, '2h': 1000, '1d': 1000, '3d': 1000 })).toEqual([true, true])
    const c = evaluateConditions(policy, evaluation({ '5m': 15, '1h': 16 }))
    expect(c.page.pairs[0]).toMatchObject({ shortBurnRate: 15, longBurnRate: 16, burning: true })
  })
})

import { describe, expect, it } from 'vitest'
import { budgetForecast, parseSloDocuments, periodEndSeconds, type Slo, type SloEvaluation } from '../../slo-engine/index.ts'

// Budget forecasts with every figure worked out by hand (docs/slo-engine.md):
// exhausted at = now + R × L / b, L = 30d for the rolling SLO, the days elapsed
// in the month for the calendar one.

const spec = (name: string, window: string) => `apiVersion: cairn/v1
kind: SLO
metadata: { name: ${name}, service: s }
spec: { objective: 99, window: ${window}, sli: { spans: { bad: error } } }
`
const { slos, errors } = parseSloDocuments([spec('rolling', '30d'), spec('calendar', '{ calendar: month, timeZone: UTC }'), spec('berlin', '{ calendar: month, timeZone: Europe/Berlin }')].join('---\n'), 'x.yaml')
const [rolling, calendar, berlin] = slos as [Slo, Slo, Slo]

function evaluation(now: string, remaining: number | null, burnRates: Record<string, number>): SloEvaluation {
  return {
    sloId: 'x',
    evaluatedAtMs: Date.parse(now),
    status: remaining === null ? 'no_data' : 'ok',
    objectiveRatio: 0.99,
    sli: null,
    eventsTotal: 1000,
    eventsBad: 0,
    budgetTotal: 10,
    budgetConsumed: 0,
    budgetRemainingRatio: remaining,
    burnRates,
  }
}
const at = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString())

describe('budget forecast', () => {
  it('parses its fixtures', () => expect(errors).toEqual([]))

  it('rolling: the 1h rate when it is the faster (0.5 × 30d / 2 = 7.5d)', () => {
    const f = budgetForecast(rolling, evaluation('2026-01-10T00:00:00Z', 0.5, { '1h': 2, '1d': 1, window: 0.5 }))
    expect(f).toEqual({ exhaustedAtMs: Date.parse('2026-01-17T12:00:00Z'), burnRate: 2, basis: '1h' })
  })

  it('rolling: the 1d rate when it is the faster (0.6 × 30d / 3 = 6d)', () => {
    const f = budgetForecast(rolling, evaluation('2026-01-10T00:00:00Z', 0.6, { '5m': 50, '1h': 0.5, '1d': 3 }))
    expect(at(f.exhaustedAtMs)).toBe('2026-01-16T00:00:00.000Z')
    expect(f.basis).toBe('1d')
  })

  it('rolling: burning, but the window turns over first (0.9 × 30d / 0.5 = 54d > 30d): null', () => {
    expect(budgetForecast(rolling, evaluation('2026-01-10T00:00:00Z', 0.9, { '1h': 0.5 }))).toEqual({ exhaustedAtMs: null, burnRate: 0.5, basis: '1h' })
  })

  it('no burn: null', () => {
    expect(budgetForecast(rolling, evaluation('2026-01-10T00:00:00Z', 0.2, { '1h': 0, '1d': 0 })).exhaustedAtMs).toBeNull()
  })

  it('no data, or no traffic in the last day: null', () => {
    expect(budgetForecast(rolling, evaluation('2026-01-10T00:00:00Z', null, {}))).toEqual({ exhaustedAtMs: null, burnRate: null, basis: null })
    expect(budgetForecast(rolling, evaluation('2026-01-10T00:00:00Z', 0.4, { window: 0.6 })).exhaustedAtMs).toBeNull()
  })

  it('rolling, already spent: in the past, at the window average (−0.5 × 30d / 1.5 = −10d)', () => {
    const f = budgetForecast(rolling, evaluation('2026-01-10T00:00:00Z', -0.5, { '1h': 0, window: 1.5 }))
    expect(f).toEqual({ exhaustedAtMs: Date.parse('2025-12-31T00:00:00Z'), burnRate: 1.5, basis: 'window' })
  })

  it('spent exactly now (R = 0): now', () => {
    expect(at(budgetForecast(rolling, evaluation('2026-01-10T00:00:00Z', 0, { '1h': 3, window: 1 })).exhaustedAtMs)).toBe('2026-01-10T00:00:00.000Z')
  })

  it('calendar: L is the time elapsed in the period (0.5 × 10d / 1 = 5d)', () => {
    const f = budgetForecast(calendar, evaluation('2026-01-11T00:00:00Z', 0.5, { '1d': 1 }))
    expect(f).toEqual({ exhaustedAtMs: Date.parse('2026-01-16T00:00:00Z'), burnRate: 1, basis: '1d' })
  })

  it('calendar: the period ends first (0.5 × 28d / 1 = 14d, after 1 February): null', () => {
    expect(budgetForecast(calendar, evaluation('2026-01-29T00:00:00Z', 0.5, { '1h': 1, '1d': 1 })).exhaustedAtMs).toBeNull()
    // 0.1 × 28d / 1 = 2.8d: 31 January 19:12, still in January.
    expect(at(budgetForecast(calendar, evaluation('2026-01-29T00:00:00Z', 0.1, { '1h': 1 })).exhaustedAtMs)).toBe('2026-01-31T19:12:00.000Z')
  })

  it('calendar, already spent: −1 × 10d / 2 = −5d', () => {
    expect(at(budgetForecast(calendar, evaluation('2026-01-11T00:00:00Z', -1, { '1h': 4, window: 2 })).exhaustedAtMs)).toBe('2026-01-06T00:00:00.000Z')
  })

  it('calendar periods end where the next starts, in the zone', () => {
    expect(new Date(periodEndSeconds(Date.parse('2025-03-15T00:00:00Z') / 1000, berlin) * 1000).toISOString()).toBe('2025-03-31T22:00:00.000Z')
    expect(new Date(periodEndSeconds(Date.parse('2025-12-31T23:59:00Z') / 1000, calendar) * 1000).toISOString()).toBe('2026-01-01T00:00:00.000Z')
  })
})

describe('cairn_slo_budget_exhausted_in_seconds', () => {
  it('is the seconds to the forecast, 0 when spent, absent when the budget lasts the window', async () => {
    const { createMetricsRegistry } = await import('../../instrumentation/index.ts')
    const { createSloGauges } = await import('../../slo-engine/metrics.ts')
    const registry = createMetricsRegistry()
    const named = (slo: Slo, id: string): Slo => ({ ...slo, id, name: id })
    createSloGauges(registry).update([
      { slo: named(rolling, 'soon'), evaluation: evaluation('2026-01-10T00:00:00Z', 0.5, { '1h': 2 }) }, // 7.5d
      { slo: named(rolling, 'spent'), evaluation: evaluation('2026-01-10T00:00:00Z', -0.5, { window: 1.5 }) },
      { slo: named(rolling, 'lasting'), evaluation: evaluation('2026-01-10T00:00:00Z', 0.9, { '1h': 0.5 }) },
    ])
    const text = await registry.metrics()
    const lines = text.split('\n').filter((l) => l.startsWith('cairn_slo_budget_exhausted_in_seconds{'))
    expect(lines).toEqual([
      'cairn_slo_budget_exhausted_in_seconds{slo="soon",service="s",name="soon"} 648000',
      'cairn_slo_budget_exhausted_in_seconds{slo="spent",service="s",name="spent"} 0',
    ])
  })
})

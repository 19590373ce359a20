import { describe, expect, it } from 'vitest'
import { alertAnnotations } from '../../alerts/message.ts'
import { evaluateConditions } from '../../alerts/condition.ts'
import { alertPolicyFor } from '../../alerts/policy.ts'
import type { SloEvaluation } from '../../slo-engine/index.ts'
import { makeSlo } from '../fixtures/alerts/slos.ts'

const AT = Date.UTC(2026, 11, 2, 12, 0)
const slo = makeSlo({ name: 'availability', service: 'checkout' })

function evaluation(recentEvents: number | undefined): SloEvaluation {
  return {
    sloId: slo.id, evaluatedAtMs: AT, status: 'ok', objectiveRatio: 0.999, sli: 0.99, eventsTotal: 1000, eventsBad: 10,
    budgetTotal: 1, budgetConsumed: 10, budgetRemainingRatio: -9, burnRates: { '5m': 20, '30m': 18, '1h': 16, '2h': 9, '6h': 7, '1d': 2, '3d': 0.5 },
    ...(recentEvents === undefined ? {} : { recentEvents }),
  } as SloEvaluation
}

function annotations(recentEvents: number | undefined) {
  const policy = alertPolicyFor(slo)
  const e = evaluation(recentEvents)
  return alertAnnotations(slo, 'page', policy, e, evaluateConditions(policy, e).page, {})
}

describe('alert annotations', () => {
  it('say the data is stale when the SLO had no events in the last five minutes', () => {
    expect(annotations(0).data_stale).toBe(
      'no events in the 5 minutes before 2026-12-02T12:00:00.000Z: the burn rates describe older data; check that telemetry is still arriving',
    )
  })

  it('say nothing of freshness while events arrive, or when the evaluation does not count them', () => {
    expect(annotations(3)).not.toHaveProperty('data_stale')
    expect(annotations(undefined)).not.toHaveProperty('data_stale')
  })
})

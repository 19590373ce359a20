import { describe, expect, it } from 'vitest'
import { ConfigError, configSchema, loadConfig } from '../../config/index.ts'
import { decideGate, resolveBudgetPolicy, type GateOverride } from '../../gate/index.ts'
import { formatSpecError, parseSloDocuments, type Slo, type SloEvaluation } from '../../slo-engine/index.ts'

// The policy as specs and config write it, its precedence, and the decision's
// handling of overrides in time (pure: the API tests run the same on the store).

const doc = (name: string, service: string, policy?: string) => `apiVersion: cairn/v1
kind: SLO
metadata: { name: ${name}, service: ${service} }
spec:
  objective: 99
  window: 30d
  sli: { spans: { bad: error } }
${policy === undefined ? '' : `  policy: ${policy}\n`}`

describe('spec.policy', () => {
  it('reads percentages as ratios and keeps only the fields given', () => {
    const { slos, errors } = parseSloDocuments([doc('a', 's', '{ freezeWhenRemainingBelow: 12.5%, freezeWhilePaging: false }'), doc('b', 's', '{ freezeWhenRemainingBelow: 20 }'), doc('c', 's')].join('---\n'), 'x.yaml')
    expect(errors).toEqual([])
    expect(slos.map((s) => s.budgetPolicy)).toEqual([{ freezeWhenRemainingBelow: 0.125, freezeWhilePaging: false }, { freezeWhenRemainingBelow: 0.2 }, undefined])
  })

  it('reports bad values and unknown keys with file:line:col', () => {
    const { errors } = parseSloDocuments([doc('a', 's', '{ freezeWhenRemainingBelow: 150% }'), doc('b', 's', '{ freezeWhenRemainingBelow: lots }'), doc('c', 's', '{ freezeOnFriday: true }')].join('---\n'), 'x.yaml')
    expect(errors.map(formatSpecError)).toEqual([
      'x.yaml:8:39: spec.policy.freezeWhenRemainingBelow: expected a percentage from 0% to 100% (got "150%")',
      'x.yaml:17:39: spec.policy.freezeWhenRemainingBelow: expected a percentage such as 0% or 25% (got "lots")',
      'x.yaml:26:13: unknown key spec.policy.freezeOnFriday',
    ])
  })
})

describe('gate config', () => {
  it('takes the default from CAIRN_GATE_* and refuses bad values by name', () => {
    expect(loadConfig({ CAIRN_GATE_FREEZE_BELOW: '10%', CAIRN_GATE_FREEZE_WHILE_PAGING: 'off', CAIRN_GATE_FREEZE_WHEN_UNKNOWN: 'on' }).gate.policy).toEqual({
      freezeWhenRemainingBelow: 0.1, freezeWhilePaging: false, freezeWhenUnknown: true,
    })
    expect(loadConfig({}).gate.policy).toEqual({ freezeWhenRemainingBelow: 0, freezeWhilePaging: true, freezeWhenUnknown: false })
    expect(() => loadConfig({ CAIRN_GATE_FREEZE_BELOW: '-5%' })).toThrow(ConfigError)
    expect(() => loadConfig({ CAIRN_GATE_FREEZE_BELOW: '-5%' })).toThrow(/CAIRN_GATE_FREEZE_BELOW/)
    expect(() => loadConfig({ CAIRN_GATE_FREEZE_WHILE_PAGING: 'maybe' })).toThrow(/CAIRN_GATE_FREEZE_WHILE_PAGING.*expected true or false/)
  })

  it('takes each field from the SLO, then its service, then the default', () => {
    const config = configSchema.parse({ gate: { policy: { freezeWhenRemainingBelow: '5%' }, services: { pay: { freezeWhenRemainingBelow: '25%', freezeWhenUnknown: true } } } }).gate
    const [own, svc, other] = parseSloDocuments([doc('a', 'pay', '{ freezeWhenUnknown: false }'), doc('b', 'pay'), doc('c', 'web')].join('---\n'), 'x.yaml').slos as [Slo, Slo, Slo]
    expect(resolveBudgetPolicy(own, config)).toEqual({
      policy: { freezeWhenRemainingBelow: 0.25, freezeWhilePaging: true, freezeWhenUnknown: false },
      sources: { freezeWhenRemainingBelow: 'service', freezeWhilePaging: 'default', freezeWhenUnknown: 'slo' },
    })
    expect(resolveBudgetPolicy(svc, config).policy).toEqual({ freezeWhenRemainingBelow: 0.25, freezeWhilePaging: true, freezeWhenUnknown: true })
    expect(resolveBudgetPolicy(other, config).policy).toEqual({ freezeWhenRemainingBelow: 0.05, freezeWhilePaging: true, freezeWhenUnknown: false })
  })
})

describe('unknown states', () => {
  const [a] = parseSloDocuments(doc('a', 'pay'), 'x.yaml').slos as [Slo]
  const NOW = Date.parse('2026-06-01T12:00:00Z')
  it('treats a failed evaluation as unknown: allowed by default, refused under freezeWhenUnknown', () => {
    // An evaluation state other than ok / no_data (the engine marks failed evaluations `error`).
    const failed = { sloId: a.id, evaluatedAtMs: NOW, status: 'error', objectiveRatio: 0.99, sli: null, eventsTotal: 0, eventsBad: 0, budgetTotal: 0, budgetConsumed: 0, budgetRemainingRatio: null, burnRates: {} } as unknown as SloEvaluation
    const allow = decideGate([{ slo: a, evaluation: failed, paging: false }], [], NOW, configSchema.parse({}).gate)
    expect(allow).toMatchObject({ allow: true, reasons: [`${a.id}: allowed while unknown, its latest evaluation failed (freezeWhenUnknown is off)`] })
    expect(allow.slos[0]!.state).toBe('error')
    const strict = configSchema.parse({ gate: { policy: { freezeWhenUnknown: true } } }).gate
    expect(decideGate([{ slo: a, evaluation: failed, paging: false }], [], NOW, strict)).toMatchObject({ allow: false, reasons: [`${a.id}: unknown, its latest evaluation failed, and freezeWhenUnknown is on`] })
  })

  it('freezes on a firing page even when the budget is unknown', () => {
    const d = decideGate([{ slo: a, paging: true }], [], NOW, configSchema.parse({}).gate)
    expect(d).toMatchObject({ allow: false, reasons: [`${a.id}: its page alert is firing (freezeWhilePaging)`] })
    expect(d.slos[0]!.state).toBe('pending')
  })
})

describe('overrides in time', () => {
  const config = configSchema.parse({}).gate
  const [a, b] = parseSloDocuments([doc('a', 'pay'), doc('b', 'pay')].join('---\n'), 'x.yaml').slos as [Slo, Slo]
  const NOW = Date.parse('2026-06-01T12:00:00Z')
  const spent = (slo: Slo): SloEvaluation => ({
    sloId: slo.id, evaluatedAtMs: NOW - 60_000, status: 'ok', objectiveRatio: 0.99, sli: 0.98, eventsTotal: 100, eventsBad: 2, budgetTotal: 1, budgetConsumed: 2, budgetRemainingRatio: -1, burnRates: { window: 2 },
  })
  const override = (o: Partial<GateOverride>): GateOverride => ({
    id: 'o1', service: 'pay', sloId: null, who: 'eve', why: 'INC-1', createdBy: 'ci', createdAtMs: NOW - 3_600_000, untilMs: NOW + 60_000, revokedAtMs: null, revokedBy: '', ...o,
  })
  const decide = (overrides: GateOverride[], at = NOW) => decideGate([{ slo: a, evaluation: spent(a), paging: false }, { slo: b, evaluation: spent(b), paging: false }], overrides, at, config)

  it('counts until `until` and not at it', () => {
    expect(decide([override({})]).allow).toBe(true)
    expect(decide([override({})], NOW + 59_999).allow).toBe(true)
    expect(decide([override({})], NOW + 60_000).allow).toBe(false)
    expect(decide([override({ revokedAtMs: NOW - 1 })]).allow).toBe(false)
  })

  it('opens only the SLO it names; another service is never opened', () => {
    const one = decide([override({ sloId: a.id })])
    expect(one.allow).toBe(false)
    expect(one.slos.map((s) => [s.id, s.overridden])).toEqual([[a.id, true], [b.id, false]])
    expect(decide([override({ service: 'web' })]).allow).toBe(false)
  })

  it("names the SLO's own override before the service's", () => {
    const d = decide([override({ id: 'svc', untilMs: NOW + 7_200_000 }), override({ id: 'own', sloId: a.id })])
    expect(d.slos.map((s) => s.overrideId)).toEqual(['own', 'svc'])
    expect(d.reasons[0]).toBe(`${a.id}: error budget -100% remaining, below the freeze threshold of 0%; opened by override own by eve until 2026-06-01T12:01:00.000Z: INC-1`)
  })
})

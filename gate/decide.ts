import type { GateConfig } from '../config/index.ts'
import { budgetForecast, isComputedSli, type BudgetPolicy, type Slo, type SloEvaluation } from '../slo-engine/index.ts'
import type { GateOverride } from './overrides.ts'
import { resolveBudgetPolicy, type PolicySource } from './policy.ts'

// The deploy gate's decision, pure: the SLOs of a service (or one SLO) with
// their latest evaluation and page alert state, the active overrides, and the
// policy; out come allow, the reasons and a verdict per SLO. Semantics in
// docs/gate.md.

export interface GateInput {
  slo: Slo
  evaluation?: SloEvaluation
  /** The SLO's page alert is firing. */
  paging: boolean
}

/** ok: evaluated and fresh; the others are what "unknown" means for freezeWhenUnknown. */
export type GateSloState = 'ok' | 'no_data' | 'error' | 'pending' | 'not_computed' | 'stale'

export interface GateSloVerdict {
  id: string
  service: string
  state: GateSloState
  frozen: boolean
  /** Frozen, but an active override opens it. */
  overridden: boolean
  remainingRatio: number | null
  budgetExhaustedAt: string | null
  paging: boolean
  evaluatedAt: string | null
  policy: BudgetPolicy & { sources: Record<keyof BudgetPolicy, PolicySource> }
  reasons: string[]
  overrideId: string | null
}

export interface GateDecision {
  allow: boolean
  reasons: string[]
  slos: GateSloVerdict[]
}

const iso = (ms: number) => new Date(ms).toISOString()
const pct = (ratio: number) => `${Number((ratio * 100).toFixed(2))}%`

function stateOf(input: GateInput, nowMs: number, staleAfterMs: number): GateSloState {
  const e = input.evaluation
  if (!isComputedSli(input.slo.sli)) return 'not_computed'
  if (!e) return 'pending'
  if (nowMs - e.evaluatedAtMs > staleAfterMs) return 'stale'
  if (e.status === 'no_data') return 'no_data'
  // Any other status than ok (an evaluation that failed) or an ok without numbers: cairn cannot tell.
  return e.status === 'ok' && e.budgetRemainingRatio !== null ? 'ok' : 'error'
}

const UNKNOWN_TEXT: Record<Exclude<GateSloState, 'ok'>, string> = {
  no_data: 'no events in its window',
  error: 'its latest evaluation failed',
  pending: 'not evaluated yet',
  not_computed: 'its SLI is not computed by cairn (PromQL or an external source)',
  stale: 'its latest evaluation is stale (the engine has stopped evaluating it)',
}

/** Why one SLO freezes (empty: it does not). */
function freezeReasons(input: GateInput, state: GateSloState, policy: BudgetPolicy): string[] {
  const id = input.slo.id
  const reasons: string[] = []
  if (state !== 'ok') {
    if (policy.freezeWhenUnknown) reasons.push(`${id}: unknown, ${UNKNOWN_TEXT[state]}, and freezeWhenUnknown is on`)
  } else {
    const remaining = input.evaluation!.budgetRemainingRatio!
    if (remaining < policy.freezeWhenRemainingBelow) {
      reasons.push(`${id}: error budget ${pct(remaining)} remaining, below the freeze threshold of ${pct(policy.freezeWhenRemainingBelow)}`)
    }
  }
  // A firing page is a fact of its own: it freezes even when the budget is unknown.
  if (policy.freezeWhilePaging && input.paging) reasons.push(`${id}: its page alert is firing (freezeWhilePaging)`)
  return reasons
}

function passReason(input: GateInput, state: GateSloState, policy: BudgetPolicy): string {
  const id = input.slo.id
  if (state !== 'ok') return `${id}: allowed while unknown, ${UNKNOWN_TEXT[state]} (freezeWhenUnknown is off)${input.paging ? '; page alert firing but freezeWhilePaging is off' : ''}`
  const remaining = input.evaluation!.budgetRemainingRatio!
  const paging = input.paging ? 'page alert firing but freezeWhilePaging is off' : 'not paging'
  return `${id}: ${pct(remaining)} of the error budget remaining (freeze below ${pct(policy.freezeWhenRemainingBelow)}), ${paging}`
}

/** The override that opens an SLO: one for the SLO itself first, else one for its service; the latest-ending wins. */
function overrideFor(slo: Slo, overrides: readonly GateOverride[], nowMs: number): GateOverride | undefined {
  const active = overrides.filter((o) => o.revokedAtMs === null && o.untilMs > nowMs && o.service === slo.service && (o.sloId === null || o.sloId === slo.id))
  const best = (list: GateOverride[]) => list.sort((a, b) => b.untilMs - a.untilMs)[0]
  return best(active.filter((o) => o.sloId === slo.id)) ?? best(active.filter((o) => o.sloId === null))
}

export function overrideText(o: GateOverride): string {
  return `override ${o.id} by ${o.who} until ${iso(o.untilMs)}: ${o.why}`
}

function verdict(input: GateInput, overrides: readonly GateOverride[], nowMs: number, config: GateConfig): GateSloVerdict {
  const { policy, sources } = resolveBudgetPolicy(input.slo, config)
  const state = stateOf(input, nowMs, config.staleAfterSeconds * 1000)
  const freeze = freezeReasons(input, state, policy)
  const override = freeze.length > 0 ? overrideFor(input.slo, overrides, nowMs) : undefined
  const reasons = freeze.length === 0 ? [passReason(input, state, policy)] : override ? freeze.map((r) => `${r}; opened by ${overrideText(override)}`) : freeze
  const e = input.evaluation
  const forecast = e && state === 'ok' ? budgetForecast(input.slo, e).exhaustedAtMs : null
  return {
    id: input.slo.id,
    service: input.slo.service,
    state,
    frozen: freeze.length > 0,
    overridden: override !== undefined,
    remainingRatio: e?.budgetRemainingRatio ?? null,
    budgetExhaustedAt: forecast === null ? null : iso(forecast),
    paging: input.paging,
    evaluatedAt: e ? iso(e.evaluatedAtMs) : null,
    policy: { ...policy, sources },
    reasons,
    overrideId: override?.id ?? null,
  }
}

/** Allow unless some SLO is frozen and no active override opens it. */
export function decideGate(inputs: readonly GateInput[], overrides: readonly GateOverride[], nowMs: number, config: GateConfig): GateDecision {
  const slos = inputs.map((i) => verdict(i, overrides, nowMs, config)).sort((a, b) => a.id.localeCompare(b.id))
  const refused = slos.filter((s) => s.frozen && !s.overridden)
  // Refusals first, then what an override opened: what a pipeline log must show.
  const rank = (s: GateSloVerdict) => (s.frozen ? (s.overridden ? 1 : 0) : 2)
  const reasons = [...slos].sort((a, b) => rank(a) - rank(b)).flatMap((s) => s.reasons)
  return { allow: refused.length === 0, reasons, slos }
}

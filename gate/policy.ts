import type { GateConfig } from '../config/index.ts'
import type { BudgetPolicy, Slo } from '../slo-engine/index.ts'

// One error-budget policy per SLO: its own fields (spec.policy), then its
// service's (gate.services), then the default (gate.policy), field by field.

export type PolicySource = 'slo' | 'service' | 'default'

export interface ResolvedPolicy {
  policy: BudgetPolicy
  /** Where each field came from. */
  sources: Record<keyof BudgetPolicy, PolicySource>
}

const FIELDS = ['freezeWhenRemainingBelow', 'freezeWhilePaging', 'freezeWhenUnknown'] as const

export function resolveBudgetPolicy(slo: Slo, config: Pick<GateConfig, 'policy' | 'services'>): ResolvedPolicy {
  const service = config.services[slo.service] ?? {}
  const policy = { ...config.policy } as BudgetPolicy
  const sources = {} as Record<keyof BudgetPolicy, PolicySource>
  for (const field of FIELDS) {
    const own = slo.budgetPolicy?.[field]
    const svc = service[field]
    if (own !== undefined) [policy[field], sources[field]] = [own as never, 'slo']
    else if (svc !== undefined) [policy[field], sources[field]] = [svc as never, 'service']
    else sources[field] = 'default'
  }
  return { policy, sources }
}

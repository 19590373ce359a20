export { decideGate, overrideText, type GateDecision, type GateInput, type GateSloVerdict, type GateSloState } from './decide.ts'
export { resolveBudgetPolicy, type ResolvedPolicy, type PolicySource } from './policy.ts'
export { gateMigrations, createOverride, listOverrides, revokeOverride, GATE_OVERRIDES_TABLE, type GateOverride, type NewOverride } from './overrides.ts'

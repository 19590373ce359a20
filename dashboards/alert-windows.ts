import { alertPolicyFor, type AlertPolicy } from '../alerts/index.ts'
import type { Slo } from '../slo-engine/index.ts'

/** One multiwindow burn-rate alert as a dashboard draws it: both windows against one threshold. */
export interface BurnRateAlertWindow {
  severity: 'page' | 'ticket'
  speed: 'quick' | 'slow'
  shortWindowSeconds: number
  longWindowSeconds: number
  /** Burn-rate threshold, derived by the alert policy: budgetPercent/100 × period ÷ longWindow. */
  factor: number
}

/** The alert policy of an SLO; by default the alerting component's, the same the engine pages with and the rules encode. */
export type PolicyResolver = (slo: Slo) => AlertPolicy

/** The alert windows of an SLO, in the policy's order (page quick, page slow, ticket quick, ticket slow). */
export function burnRateAlertWindows(slo: Slo, resolvePolicy: PolicyResolver = alertPolicyFor): BurnRateAlertWindow[] {
  return resolvePolicy(slo).pairs.map((p) => ({
    severity: p.severity,
    speed: p.speed,
    shortWindowSeconds: p.shortWindowSeconds,
    longWindowSeconds: p.longWindowSeconds,
    factor: p.burnRateFactor,
  }))
}

/** Every distinct window the alerts look at, shortest first. */
export function alertWindowSeconds(windows: BurnRateAlertWindow[]): number[] {
  return [...new Set(windows.flatMap((w) => [w.shortWindowSeconds, w.longWindowSeconds]))].sort((a, b) => a - b)
}

import { formatDuration, parseDuration, type AlertPolicySpec, type BurnRateWindowSpec, type Slo, type SloWindow } from '../slo-engine/index.ts'

/** One multiwindow burn-rate alert as a dashboard draws it: both windows against one threshold. */
export interface BurnRateAlertWindow {
  severity: 'page' | 'ticket'
  speed: 'quick' | 'slow'
  shortWindow: string
  longWindow: string
  /** Burn-rate threshold: budgetPercent/100 × period ÷ longWindow. */
  factor: number
}

/** Resolves the alert policy of an SLO (the alerting component's, when the caller has it). */
export type PolicyResolver = (slo: Slo) => AlertPolicySpec

/**
 * The SRE Workbook's budget-consumption targets, used only when the caller
 * passes no policy resolver and the SLO has no override: page 2% in 1h (5m)
 * and 5% in 6h (30m); ticket 10% in 1d (2h) and 10% in 3d (6h).
 */
export const WORKBOOK_POLICY: AlertPolicySpec = {
  page: {
    quick: { budgetPercent: 2, shortWindowSeconds: 300, longWindowSeconds: 3600 },
    slow: { budgetPercent: 5, shortWindowSeconds: 1800, longWindowSeconds: 21600 },
  },
  ticket: {
    quick: { budgetPercent: 10, shortWindowSeconds: 7200, longWindowSeconds: 86400 },
    slow: { budgetPercent: 10, shortWindowSeconds: 21600, longWindowSeconds: 259200 },
  },
}

const CALENDAR_SECONDS = { day: 86400, week: 604800, month: 30 * 86400, quarter: 91 * 86400, year: 365 * 86400 } as const

/** The SLO period in seconds; calendar periods take their typical length (a month is 30 days). */
export function periodSeconds(window: SloWindow): number {
  return window.kind === 'rolling' ? window.seconds : CALENDAR_SECONDS[window.period]
}

function toWindow(severity: 'page' | 'ticket', speed: 'quick' | 'slow', spec: BurnRateWindowSpec, period: number): BurnRateAlertWindow {
  const factor = Math.round(((spec.budgetPercent / 100) * period * 1e6) / spec.longWindowSeconds) / 1e6
  return { severity, speed, shortWindow: formatDuration(spec.shortWindowSeconds), longWindow: formatDuration(spec.longWindowSeconds), factor }
}

/** The four alert windows of an SLO, quickest first. */
export function burnRateAlertWindows(slo: Slo, resolvePolicy?: PolicyResolver): BurnRateAlertWindow[] {
  const policy = resolvePolicy?.(slo) ?? slo.alerting.policy ?? WORKBOOK_POLICY
  const period = periodSeconds(slo.window)
  return [
    toWindow('page', 'quick', policy.page.quick, period),
    toWindow('page', 'slow', policy.page.slow, period),
    toWindow('ticket', 'quick', policy.ticket.quick, period),
    toWindow('ticket', 'slow', policy.ticket.slow, period),
  ]
}

/** Every distinct window the alerts look at, shortest first. */
export function alertWindowKeys(windows: BurnRateAlertWindow[]): string[] {
  const seconds = new Map<string, number>()
  for (const w of windows) for (const key of [w.shortWindow, w.longWindow]) seconds.set(key, parseDuration(key) ?? 0)
  return [...seconds.entries()].sort((a, b) => a[1] - b[1]).map(([key]) => key)
}


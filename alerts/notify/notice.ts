import type { Severity } from '../policy.ts'

/** What a notifier sends about one alert: its firing (sent again while it lasts) or its resolve. */
export interface AlertNotice {
  /** `<slo id>/<severity>`: one alert per SLO and severity. */
  key: string
  status: 'firing' | 'resolved'
  sloId: string
  service: string
  severity: Severity
  labels: Record<string, string>
  annotations: Record<string, string>
  /** When the alert fired; identifies this firing. */
  firedAtMs: number
  /** Resolved: when. Firing: until when the alert holds without a resend (Alertmanager expires it after). */
  endsAtMs: number
  generatorUrl?: string
  /**
   * The engine lease epoch this notice was queued under (docs/replicas.md):
   * it is sent only while this replica still holds that epoch.
   */
  leaseEpoch?: number
  /** The evaluation behind the notice (absent when an SLO that is gone resolves). */
  evaluation?: {
    evaluatedAtMs: number
    objectivePercent: number
    sli: number | null
    budgetRemainingRatio: number | null
    burnRates: Record<string, number>
    /** When the budget runs out at the current burn rate (ISO; past when spent; null when not within the window). */
    budgetExhaustedAt: string | null
  }
}

/** The stable key PagerDuty and webhooks deduplicate on. */
export function dedupKey(notice: Pick<AlertNotice, 'sloId' | 'severity'>): string {
  return `cairn/${notice.sloId}/${notice.severity}`
}

/**
 * One notice's identity: the alert, the firing (when it fired) and what is
 * said of it. Replicas that both send it (a leader killed between sending and
 * storing that it sent) compute the same key, so a receiver can drop a repeat.
 */
export function idempotencyKey(notice: Pick<AlertNotice, 'sloId' | 'severity' | 'firedAtMs' | 'status'>): string {
  return `${dedupKey(notice)}/${notice.firedAtMs}/${notice.status}`
}

export const iso = (ms: number) => new Date(ms).toISOString()

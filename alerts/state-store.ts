import type { Storage } from '../storage/index.ts'
import type { Severity } from './policy.ts'
import type { AlertState, AlertStatus } from './state.ts'
import { ALERT_HISTORY_TABLE, ALERT_STATE_TABLE } from './tables.ts'

// Alert state in ClickHouse: a row per change, the newest per (SLO, severity)
// is current. Read once at start; written whenever a state or a delivery changes.

interface StateRow {
  slo_id: string
  severity: string
  state: string
  active_since: string | null
  fired_at: string | null
  resolved_at: string | null
  delivered: Record<string, string>
  notified: string[]
  labels: Record<string, string>
  annotations: Record<string, string>
  updated_at: string
}

const ms = (v: string | null): number | undefined => (v === null ? undefined : Number(v))

/** The current state of every (SLO, severity), or only of the SLOs named. */
export async function loadAlertStates(storage: Storage, sloIds?: readonly string[]): Promise<AlertState[]> {
  const rows = await storage.query<StateRow>(
    `SELECT slo_id, severity, state,
            toUnixTimestamp64Milli(active_since) AS active_since,
            toUnixTimestamp64Milli(fired_at) AS fired_at,
            toUnixTimestamp64Milli(resolved_at) AS resolved_at,
            mapApply((k, v) -> (k, toUnixTimestamp64Milli(v)), delivered) AS delivered,
            notified, labels, annotations,
            toUnixTimestamp64Milli(updated_at) AS updated_at
     FROM ${ALERT_STATE_TABLE}
     ${sloIds ? 'WHERE slo_id IN {ids:Array(String)}' : ''}
     ORDER BY updated_at DESC
     LIMIT 1 BY slo_id, severity`,
    sloIds ? { ids: sloIds } : undefined,
  )
  return rows.map((r) => ({
    sloId: r.slo_id,
    severity: r.severity as Severity,
    status: r.state as AlertStatus,
    activeSinceMs: ms(r.active_since),
    firedAtMs: ms(r.fired_at),
    resolvedAtMs: ms(r.resolved_at),
    delivered: Object.fromEntries(Object.entries(r.delivered).map(([k, v]) => [k, Number(v)])),
    notified: r.notified,
    labels: r.labels,
    annotations: r.annotations,
    updatedAtMs: Number(r.updated_at),
  }))
}

export async function saveAlertStates(storage: Storage, states: readonly AlertState[]): Promise<void> {
  const rows = states.map((s) => ({
    slo_id: s.sloId,
    severity: s.severity,
    state: s.status,
    active_since: s.activeSinceMs ?? null,
    fired_at: s.firedAtMs ?? null,
    resolved_at: s.resolvedAtMs ?? null,
    delivered: s.delivered,
    notified: s.notified,
    labels: s.labels,
    annotations: s.annotations,
    updated_at: s.updatedAtMs,
  }))
  await storage.insertRows(ALERT_STATE_TABLE, rows)
  // The history keeps each change; the state table, the newest per severity once merged.
  await storage.insertRows(ALERT_HISTORY_TABLE, rows.map(({ slo_id, severity, state, active_since, fired_at, resolved_at, updated_at }) => ({ slo_id, severity, state, active_since, fired_at, resolved_at, updated_at })))
}

/** One recorded change of an alert's state, as the API's alert history shows it. */
export interface AlertStateChange {
  severity: Severity
  status: AlertStatus
  activeSinceMs?: number
  firedAtMs?: number
  resolvedAtMs?: number
  updatedAtMs: number
}

/**
 * The recorded state changes of one SLO's alerts, newest first: from the
 * history table (every change, 400 days), and from the state table, whose
 * ReplacingMergeTree keeps the newest row per severity once merged (changes
 * from before the history table existed survive there only).
 */
export async function loadAlertStateChanges(storage: Storage, sloId: string, limit = 200): Promise<AlertStateChange[]> {
  const rows = await storage.query<Pick<StateRow, 'severity' | 'state' | 'active_since' | 'fired_at' | 'resolved_at' | 'updated_at'>>(
    `SELECT DISTINCT severity, state,
            toUnixTimestamp64Milli(active_since) AS active_since,
            toUnixTimestamp64Milli(fired_at) AS fired_at,
            toUnixTimestamp64Milli(resolved_at) AS resolved_at,
            toUnixTimestamp64Milli(updated_at) AS updated_at
     FROM (SELECT severity, state, active_since, fired_at, resolved_at, updated_at FROM ${ALERT_STATE_TABLE} WHERE slo_id = {id:String}
           UNION ALL
           SELECT severity, state, active_since, fired_at, resolved_at, updated_at FROM ${ALERT_HISTORY_TABLE} WHERE slo_id = {id:String})
     ORDER BY updated_at DESC, severity LIMIT {limit:UInt32}`,
    { id: sloId, limit },
  )
  return rows.map((r) => ({
    severity: r.severity as Severity,
    status: r.state as AlertStatus,
    activeSinceMs: ms(r.active_since),
    firedAtMs: ms(r.fired_at),
    resolvedAtMs: ms(r.resolved_at),
    updatedAtMs: Number(r.updated_at),
  }))
}

import type { Severity } from './policy.ts'

// The alert state machine of one SLO and severity, as a pure step function:
//
//   inactive ──condition──▶ pending ──held for `for`──▶ firing ──condition gone──▶ resolved
//      ▲   (for = 0: straight to firing)   │ condition gone                         │
//      └───────────────────────────────────┘◀──────────── condition again ◀─────────┘ (new firing)
//
// `delivered` records, per notification target, when the current state (the
// firing, or its resolve) last reached it; a restart reloads it, so nothing is
// paged twice and nothing firing is forgotten.

export type AlertStatus = 'inactive' | 'pending' | 'firing' | 'resolved'

export interface AlertState {
  sloId: string
  severity: Severity
  status: AlertStatus
  /** When the condition started to hold (pending and firing). */
  activeSinceMs?: number
  firedAtMs?: number
  resolvedAtMs?: number
  /** Target key → when the current firing (or its resolve) was last delivered there. */
  delivered: Record<string, number>
  /** Targets that received the current firing: the ones its resolve goes to. */
  notified: string[]
  /** The alert's identity and text when it fired, kept for resends and the resolve. */
  labels: Record<string, string>
  annotations: Record<string, string>
  updatedAtMs: number
}

export type Transition = 'none' | 'pending' | 'fired' | 'cancelled' | 'resolved'

export interface StepResult {
  state: AlertState
  transition: Transition
}

export function initialState(sloId: string, severity: Severity): AlertState {
  return { sloId, severity, status: 'inactive', delivered: {}, notified: [], labels: {}, annotations: {}, updatedAtMs: 0 }
}

/** One evaluation: `active` is whether the policy's condition holds now. */
export function stepAlert(prev: AlertState, active: boolean, nowMs: number, forMs: number): StepResult {
  const at = (state: Partial<AlertState>, transition: Transition): StepResult => ({ state: { ...prev, ...state, updatedAtMs: nowMs }, transition })
  const fire = (activeSinceMs: number) => at({ status: 'firing', activeSinceMs, firedAtMs: nowMs, resolvedAtMs: undefined, delivered: {}, notified: [] }, 'fired')
  switch (prev.status) {
    case 'inactive':
    case 'resolved':
      if (!active) return { state: prev, transition: 'none' }
      return forMs > 0 ? at({ status: 'pending', activeSinceMs: nowMs }, 'pending') : fire(nowMs)
    case 'pending':
      if (!active) return at({ status: 'inactive', activeSinceMs: undefined }, 'cancelled')
      return nowMs - (prev.activeSinceMs ?? nowMs) >= forMs ? fire(prev.activeSinceMs ?? nowMs) : { state: prev, transition: 'none' }
    case 'firing':
      if (active) return { state: prev, transition: 'none' }
      return at({ status: 'resolved', resolvedAtMs: nowMs, delivered: {} }, 'resolved')
  }
}

/** A resolve that cannot be delivered is retried for this long, then given up. */
export const RESOLVE_RETRY_MS = 24 * 3600_000

/** Whether a target should be sent the current state now. */
export function deliveryDue(state: AlertState, targetKey: string, resends: boolean, resendIntervalMs: number, nowMs: number): boolean {
  const last = state.delivered[targetKey]
  // A resolve goes only where the firing went: a target added later, or one the firing never reached, hears nothing.
  if (state.status === 'resolved') return last === undefined && state.notified.includes(targetKey) && nowMs - (state.resolvedAtMs ?? 0) < RESOLVE_RETRY_MS
  if (state.status !== 'firing') return false
  return last === undefined || (resends && nowMs - last >= resendIntervalMs)
}

/** Nothing is left to deliver about this alert: it is not active, and its resolve reached every target or was given up. */
export function settled(state: AlertState, nowMs: number): boolean {
  if (state.status === 'inactive') return true
  if (state.status !== 'resolved') return false
  return state.notified.every((key) => state.delivered[key] !== undefined) || nowMs - (state.resolvedAtMs ?? 0) >= RESOLVE_RETRY_MS
}

import type { BurnRateAlertWindow } from './alert-windows.ts'

// Flavour-neutral description of what a panel asks for. The layout (which
// panels, where, with which thresholds) is shared; each data-source flavour
// only says how to ask for the numbers.

export type Flavour = 'prometheus' | 'clickhouse'
export const FLAVOURS: readonly Flavour[] = ['prometheus', 'clickhouse']

export interface QuerySpec {
  /** PromQL for Prometheus, SQL (with the ClickHouse plugin's macros) for ClickHouse. */
  text: string
  /** Series name in the legend (Prometheus legendFormat; SQL names its columns itself). */
  legend?: string
  /** range = a series over the picked time range; instant = one value per series now; logs = log lines. */
  shape: 'range' | 'instant' | 'logs'
}

/** A panel of raw telemetry (ClickHouse flavour): requests, latency, error logs. */
export interface TelemetryPanel {
  title: string
  description: string
  unit: string
  visual: 'timeseries' | 'logs'
  queries: QuerySpec[]
}

/** The queries behind every panel of one SLO's dashboard, in one flavour. */
export interface SloQueries {
  /** SLI and objective over time, as ratios. */
  sli: QuerySpec[]
  /** The latest remaining error budget (ratio of the window's budget). */
  budgetRemaining: QuerySpec
  /** Remaining budget over time. */
  budgetBurnDown: QuerySpec
  /** One series per alert window, as burn rates. */
  burnRates: QuerySpec[]
  /** Alert state per severity. */
  alertState: QuerySpec
  /** Seconds since cairn last evaluated the SLO (failed evaluations do not count); none when Prometheus computes it. */
  evaluationAge?: QuerySpec
  /** Good and bad events. */
  events: QuerySpec[]
  eventsUnit: string
  eventsDescription: string
  telemetry: TelemetryPanel[]
}

export interface SloQueryContext {
  windows: BurnRateAlertWindow[]
  /** Distinct windows of the alert policy in seconds, shortest first. */
  windowSeconds: number[]
}

import { formatDuration, OWN_WINDOW_KEY, SLO_GAUGES, sloRatios, type Slo } from '../../slo-engine/index.ts'
import { promFloat } from '../policy.ts'
import type { BurnExprs } from './meta-recordings.ts'
import { formatPromDuration } from './prom-duration.ts'
import { sliErrorRecord, slothIdLabels } from './sloth-ids.ts'
import { promString, sortedLabels, type RecordingRule } from './types.ts'

// Step 1 for SLIs cairn computes: Sloth's `slo:sli_error:ratio_rate<window>`
// series, read from the engine's gauges rather than recomputed. The error
// ratio over a window is its burn rate × the error budget the engine divided
// by, so a Prometheus scraping cairn records the numbers cairn computed.
// `max(…)` without `by` drops the scrape labels (job, instance) and the
// gauge's own (slo, name, window): the series carry Sloth's labels only.

/** `max(cairn_slo_burn_rate{slo="…", window="…"})` for an engine window key. */
export function burnGauge(slo: Slo, windowKey: string): string {
  return `max(${SLO_GAUGES.burnRate}{slo=${promString(slo.id)}, window=${promString(windowKey)}})`
}

/** The engine's window key for a policy window (the SLO's own period is "window"). */
function windowKey(seconds: number, periodSecs: number): string {
  return seconds === periodSecs ? OWN_WINDOW_KEY : formatDuration(seconds)
}

/** One recording per policy window, then the period (the engine's own window: for calendar SLOs, the period so far). */
export function cairnSliRecordingRules(slo: Slo, windowsSeconds: number[], periodSecs: number, extraLabels: Record<string, string>): RecordingRule[] {
  const base = { ...slo.labels, ...extraLabels, ...slothIdLabels(slo) }
  const budget = promFloat(sloRatios(slo).errorBudget)
  const windows = [...new Set([...windowsSeconds.filter((s) => s !== periodSecs), periodSecs])].sort((a, b) => a - b)
  return windows.map((seconds) => {
    const text = formatPromDuration(seconds)
    return { record: sliErrorRecord(text), expr: `${burnGauge(slo, windowKey(seconds, periodSecs))} * ${budget}`, labels: sortedLabels(base, { sloth_window: text }) }
  })
}

/** Burn rates and budget remaining straight from the gauges: exactly the engine's figures. */
export function cairnBurnExprs(slo: Slo, currentWindowSeconds: number): BurnExprs {
  return {
    current: burnGauge(slo, formatDuration(currentWindowSeconds)),
    period: burnGauge(slo, OWN_WINDOW_KEY),
    remaining: `max(${SLO_GAUGES.budgetRemaining}{slo=${promString(slo.id)}})`,
  }
}

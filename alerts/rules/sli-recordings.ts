import type { PromqlSli, Slo } from '../../slo-engine/index.ts'
import { formatPromDuration } from './prom-duration.ts'
import { sliErrorRecord, slothIdLabels, slothSelector } from './sloth-ids.ts'
import { sortedLabels, type RecordingRule } from './types.ts'

// Step 1 of rule generation for PromQL SLIs: the error ratio of the SLI over
// every window the alert policy reads (`slo:sli_error:ratio_rate<window>`),
// then over the whole period as the mean of the ratios over the policy's
// page-quick short window (5m in the reference policy), as Sloth does.

const WINDOW_PLACEHOLDER = /\{\{\s*\.window\s*\}\}/g

/** The SLI's query with Sloth's `{{.window}}` placeholder set to `windowText`. */
export function withWindow(query: string, windowText: string): string {
  return query.replace(WINDOW_PLACEHOLDER, windowText)
}

/** The error-ratio expression of a PromQL SLI over one window. */
export function errorRatioExpr(sli: PromqlSli, windowText: string): string {
  const q = (query: string) => withWindow(query, windowText)
  switch (sli.form) {
    case 'events':
      return `(${q(sli.errorQuery)})\n/\n(${q(sli.totalQuery)})\n`
    case 'raw':
      return `(${q(sli.errorRatioQuery)})`
    case 'goodTotal':
      return `(\n  1 - (\n    (\n      ${indentTail(q(sli.goodQuery).trim(), 6)}\n    )\n    /\n    (\n      ${indentTail(q(sli.totalQuery).trim(), 6)}\n    )\n  )\n)`
    case 'threshold':
      // Share of the window's evaluation steps where the value misses the threshold.
      return `1 - avg_over_time(((${q(sli.query).trim()}) ${COMPARISON[sli.op]} bool ${sli.threshold})[${windowText}:])`
  }
}

const COMPARISON = { lt: '<', lte: '<=', gt: '>', gte: '>=' } as const

function indentTail(text: string, spaces: number): string {
  return text.replaceAll('\n', `\n${' '.repeat(spaces)}`)
}

/** Recording rules of one PromQL SLO: one per policy window, then the period (averaged over the `shortSeconds` ratios). */
export function sliRecordingRules(slo: Slo & { sli: PromqlSli }, windowsSeconds: number[], periodSecs: number, shortSeconds: number, extraLabels: Record<string, string>): RecordingRule[] {
  const base = { ...slo.labels, ...extraLabels, ...slothIdLabels(slo) }
  const windows = [...new Set(windowsSeconds)].sort((a, b) => a - b)
  const rules = windows.map((seconds) => {
    const text = formatPromDuration(seconds)
    return { record: sliErrorRecord(text), expr: errorRatioExpr(slo.sli, text), labels: sortedLabels(base, { sloth_window: text }) }
  })
  const period = formatPromDuration(periodSecs)
  const short = `${sliErrorRecord(formatPromDuration(shortSeconds))}${slothSelector(slo)}`
  rules.push({
    record: sliErrorRecord(period),
    expr: `sum_over_time(${short}[${period}])\n/ ignoring (sloth_window)\ncount_over_time(${short}[${period}])\n`,
    labels: sortedLabels(base, { sloth_window: period }),
  })
  return rules
}

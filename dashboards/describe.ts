import { formatDuration, type Slo } from '../slo-engine/index.ts'
import type { BurnRateAlertWindow } from './alert-windows.ts'

/** Markdown summary of an SLO for the top of its dashboard. */
export function describeSlo(slo: Slo, windows: BurnRateAlertWindow[]): string {
  const window = slo.window.kind === 'rolling' ? `rolling ${formatDuration(slo.window.seconds)}` : `calendar ${slo.window.period} (${slo.window.timeZone})`
  const budgeting =
    slo.budgeting.method === 'occurrences' ? 'occurrences' : `${slo.budgeting.method}, ${formatDuration(slo.budgeting.sliceSeconds)} slices`
  const lines = [
    `**${escapeMarkdown(slo.displayName ?? slo.id)}** — service **${escapeMarkdown(slo.service)}**, objective **${slo.objectivePercent}%** over a ${window} window (${budgeting}), SLI kind **${slo.sli.kind}**.`,
  ]
  if (slo.description) lines.push('', escapeMarkdown(slo.description))
  const factor = (x: number) => Math.round(x * 1e4) / 1e4
  lines.push('', `Alerts (${escapeMarkdown(slo.alerting.name)}): ${windows.map((w) => `${w.severity} when ${formatDuration(w.longWindowSeconds)} and ${formatDuration(w.shortWindowSeconds)} burn above ${factor(w.factor)}×`).join('; ')}.`)
  if (slo.alerting.runbook) lines.push('', `Runbook: ${escapeMarkdown(slo.alerting.runbook)}`)
  lines.push('', `Defined in \`${slo.source.file.replace(/`/g, "'")}\` (${slo.source.format}).`)
  return lines.join('\n')
}

/** Specs are user text: keep it from being read as markup (HTML or Markdown links). */
function escapeMarkdown(text: string): string {
  return text.replace(/[\\`*_{}[\]<>#|]/g, (c) => `\\${c}`)
}

import type { Slo } from '../slo-engine/index.ts'
import type { Severity } from './policy.ts'
import { slothIdLabels } from './rules/sloth-ids.ts'
import { sortedLabels } from './rules/types.ts'

// The identity of an SLO alert, the same whether the engine pages through
// Alertmanager or Prometheus evaluates the generated rules over cairn's
// gauges: with equal label sets, Alertmanager treats both as one alert.
//
// Merged as Sloth merges them: the labels cairn generates (service, severity,
// sloth_severity) give way to the user's (SLO labels < alerting labels <
// severity labels), so `page: { labels: { severity: critical } }` pages as
// `critical`. The identity labels (alertname, slo, sloth_id, sloth_service,
// sloth_slo) always name the SLO: resolving, deduplication and Sloth's
// dashboards select on them.

/** Generated < SLO labels < alerting labels < severity labels < identity. */
export function alertLabels(slo: Slo, severity: Severity): Record<string, string> {
  return sortedLabels(
    { service: slo.service, severity, sloth_severity: severity },
    slo.labels,
    slo.alerting.labels,
    slo.alerting[severity].labels,
    { alertname: slo.alerting.name, slo: slo.id, ...slothIdLabels(slo) },
  )
}

/** The dashboard link of an SLO: `{slo}`, `{service}` and `{name}` in the template are replaced (URL-encoded). */
export function dashboardUrl(template: string | undefined, slo: Slo): string | undefined {
  if (!template) return undefined
  const values: Record<string, string> = { slo: slo.id, service: slo.service, name: slo.name }
  return template.replace(/\{(slo|service|name)\}/g, (_, key: string) => encodeURIComponent(values[key]!))
}

/** A name for people: the display name when the spec has one. */
export function sloTitle(slo: Slo): string {
  return slo.displayName ? `${slo.displayName} (${slo.id})` : slo.id
}

import { RowBuilder, type Dashboard } from '@grafana/grafana-foundation-sdk/dashboard'
import { sloRatios, type Slo } from '../slo-engine/index.ts'
import { burnRateAlertWindows } from './alert-windows.ts'
import { clickhouseOverviewQuery, spanTelemetry } from './clickhouse-sql.ts'
import { prometheusOverviewQuery } from './promql.ts'
import { budgetBurnDown, burnRates, markdown, sliPanel, sloTable, telemetryPanel } from './panels.ts'
import { cairnDashboard, flavourCovers, notCoveredText, sloQueries, targetOf, type DashboardOptions } from './slo-dashboard.ts'
import { dashboardUid } from './uid.ts'

/** All SLOs of one service: a table of their budgets, then SLI, burn-down and burn rates per SLO, then the service's raw telemetry. */
export function serviceDashboard(service: string, slos: readonly Slo[], options: DashboardOptions): Dashboard {
  const target = targetOf(options)
  const own = slos.filter((s) => s.service === service).sort((a, b) => a.id.localeCompare(b.id))
  const builder = cairnDashboard(`Service: ${service}`, dashboardUid('service', service, options.flavour), [`service:${service}`, `flavour:${options.flavour}`])
  builder.description(`SLOs of ${service}`)
  const covered = own.filter((s) => flavourCovers(s, options.flavour))
  if (covered.length > 0) {
    const overview = options.flavour === 'prometheus' ? prometheusOverviewQuery(service) : clickhouseOverviewQuery(covered.map((s) => s.id))
    builder.withPanel(sloTable(`SLOs of ${service}`, target, overview, { w: 24, h: Math.min(4 + covered.length, 14) }))
  }
  for (const slo of own) {
    builder.withRow(new RowBuilder(slo.displayName ?? slo.id))
    if (!flavourCovers(slo, options.flavour)) {
      builder.withPanel(markdown(slo.id, notCoveredText(slo, options.flavour), { w: 24, h: 3 }))
      continue
    }
    const q = sloQueries(slo, options)
    builder
      .withPanel(sliPanel(target, q.sli, sloRatios(slo).objective, { w: 8, h: 7 }).title(`SLI against objective — ${slo.name}`))
      .withPanel(budgetBurnDown(target, q.budgetBurnDown, { w: 8, h: 7 }).title(`Error budget burn-down — ${slo.name}`))
      .withPanel(burnRates(target, q.burnRates, burnRateAlertWindows(slo, options.resolvePolicy), { w: 8, h: 7 }).title(`Burn rate — ${slo.name}`))
  }
  if (options.flavour === 'clickhouse') {
    builder.withRow(new RowBuilder(`Telemetry of ${service}`))
    const panels = spanTelemetry(service)
    for (const panel of panels) builder.withPanel(telemetryPanel(target, panel, { w: panel.visual === 'logs' ? 24 : 12, h: panel.visual === 'logs' ? 10 : 8 }))
  }
  return builder.build()
}

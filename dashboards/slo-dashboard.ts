import { DashboardBuilder, DashboardLinkBuilder, DashboardLinkType, type Dashboard } from '@grafana/grafana-foundation-sdk/dashboard'
import { isComputedSli, sloRatios, type Slo } from '../slo-engine/index.ts'
import { alertWindowSeconds, burnRateAlertWindows, type PolicyResolver } from './alert-windows.ts'
import { clickhouseSloQueries } from './clickhouse-sql.ts'
import { prometheusSloQueries } from './promql.ts'
import { staleAfterSeconds } from '../alerts/index.ts'
import { alertStatePanel, budgetBurnDown, budgetStat, burnRates, evaluationAgeStat, eventsPanel, markdown, sliPanel, telemetryPanel, type Target } from './panels.ts'
import type { Flavour, SloQueries } from './queries.ts'
import { dashboardUid } from './uid.ts'
import { describeSlo } from './describe.ts'

export interface DashboardOptions {
  flavour: Flavour
  /** Uid of the Grafana data source; defaults to cairn-prometheus / cairn-clickhouse (deploy/grafana). */
  datasourceUid?: string
  /** The alert policy of an SLO; default: the alerting component's alertPolicyFor (what the engine and the rules use). */
  resolvePolicy?: PolicyResolver
  /** Age past which an evaluation is stale (default: the alerting component's, for the default engine schedule). */
  staleAfterSeconds?: number
}

export const DEFAULT_DATASOURCE_UID: Record<Flavour, string> = { prometheus: 'cairn-prometheus', clickhouse: 'cairn-clickhouse' }

export function targetOf(options: DashboardOptions): Target {
  return { flavour: options.flavour, datasourceUid: options.datasourceUid ?? DEFAULT_DATASOURCE_UID[options.flavour] }
}

/** Whether the flavour has numbers for this SLO: cairn computes the SLI, or Prometheus does through generated rules. */
export function flavourCovers(slo: Slo, flavour: Flavour): boolean {
  return isComputedSli(slo.sli) || (flavour === 'prometheus' && slo.sli.kind === 'promql')
}

export function sloQueries(slo: Slo, options: DashboardOptions): SloQueries {
  const windows = burnRateAlertWindows(slo, options.resolvePolicy)
  const ctx = { windows, windowSeconds: alertWindowSeconds(windows) }
  return options.flavour === 'prometheus' ? prometheusSloQueries(slo, ctx) : clickhouseSloQueries(slo, ctx)
}

/** Common frame of every cairn dashboard: tags, time, refresh, links to the other cairn dashboards. */
export function cairnDashboard(title: string, uid: string, tags: string[]): DashboardBuilder {
  return new DashboardBuilder(title)
    .uid(uid)
    .tags(['cairn', ...tags])
    .time({ from: 'now-7d', to: 'now' })
    .refresh('1m')
    .timezone('browser')
    .editable()
    .link(new DashboardLinkBuilder('SLOs').type(DashboardLinkType.Dashboards).tags(['cairn']).asDropdown(true).includeVars(false).keepTime(true))
}

/** Adds the panels of one SLO: SLI, budget, burn-down, burn rates, alert state, events, raw telemetry. */
export function addSloPanels(builder: DashboardBuilder, slo: Slo, options: DashboardOptions): DashboardBuilder {
  const target = targetOf(options)
  const windows = burnRateAlertWindows(slo, options.resolvePolicy)
  const q = sloQueries(slo, options)
  builder
    .withPanel(sliPanel(target, q.sli, sloRatios(slo).objective, { w: 12, h: 8 }))
    .withPanel(budgetStat('Error budget remaining', target, q.budgetRemaining, { w: q.evaluationAge ? 4 : 6, h: 8 }))
    .withPanel(alertStatePanel(target, q.alertState, { w: q.evaluationAge ? 4 : 6, h: 8 }))
  if (q.evaluationAge) builder.withPanel(evaluationAgeStat(target, q.evaluationAge, options.staleAfterSeconds ?? staleAfterSeconds(), { w: 4, h: 8 }))
  builder
    .withPanel(budgetBurnDown(target, q.budgetBurnDown, { w: 12, h: 8 }))
    .withPanel(burnRates(target, q.burnRates, windows, { w: 12, h: 8 }))
    .withPanel(eventsPanel(target, q.events, q.eventsUnit, q.eventsDescription, { w: 24, h: 8 }))
  for (const [i, panel] of q.telemetry.entries()) {
    const last = i === q.telemetry.length - 1
    builder.withPanel(telemetryPanel(target, panel, { w: panel.visual === 'logs' || (last && i % 2 === 0) ? 24 : 12, h: panel.visual === 'logs' ? 10 : 8 }))
  }
  return builder
}

/** One SLO's dashboard in one flavour. */
export function sloDashboard(slo: Slo, options: DashboardOptions): Dashboard {
  const builder = cairnDashboard(`SLO: ${slo.displayName ?? slo.id}`, dashboardUid('slo', slo.id, options.flavour), [`service:${slo.service}`, `flavour:${options.flavour}`])
  builder.description(slo.description ?? `SLO ${slo.id} of ${slo.service}`)
  builder.withPanel(markdown('About this SLO', describeSlo(slo, burnRateAlertWindows(slo, options.resolvePolicy)), { w: 24, h: 5 }))
  if (!flavourCovers(slo, options.flavour)) {
    builder.withPanel(markdown('No data in this flavour', notCoveredText(slo, options.flavour), { w: 24, h: 4 }))
    return builder.build()
  }
  return addSloPanels(builder, slo, options).build()
}

export function notCoveredText(slo: Slo, flavour: Flavour): string {
  if (slo.sli.kind === 'promql') return `This SLI is PromQL: Prometheus computes it through the generated recording rules, and cairn stores no evaluations for it. Use the **prometheus** flavour of this dashboard.`
  return `This SLI reads a **${slo.sli.kind === 'external' ? slo.sli.sourceType : slo.sli.kind}** source that cairn neither computes nor turns into rules, so there is nothing to chart in the ${flavour} flavour.`
}

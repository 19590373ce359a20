import type { Dashboard } from '@grafana/grafana-foundation-sdk/dashboard'
import { clickhouseOverviewQuery } from './clickhouse-sql.ts'
import { prometheusOverviewQuery } from './promql.ts'
import { sloTable } from './panels.ts'
import { cairnDashboard, targetOf, type DashboardOptions } from './slo-dashboard.ts'
import { dashboardUid } from './uid.ts'

/**
 * Every SLO, lowest remaining budget first. Not limited to the SLOs known when
 * it was generated: a new SLO appears without regenerating the overview.
 */
export function overviewDashboard(sloCount: number, options: DashboardOptions): Dashboard {
  const target = targetOf(options)
  const query = options.flavour === 'prometheus' ? prometheusOverviewQuery() : clickhouseOverviewQuery()
  return cairnDashboard('SLO overview', dashboardUid('overview', '', options.flavour), [`flavour:${options.flavour}`])
    .description('Every SLO cairn knows, sorted by remaining error budget')
    .withPanel(sloTable('SLOs by remaining error budget', target, query, { w: 24, h: Math.max(8, Math.min(4 + sloCount, 30)) }))
    .build()
}

// Grafana dashboards generated from the SLO model with @grafana/grafana-foundation-sdk:
// per SLO, per service and an overview, over Prometheus or ClickHouse.
export { generateDashboards, dashboardJson, type GeneratedDashboard } from './generate.ts'
export { sloDashboard, DEFAULT_DATASOURCE_UID, type DashboardOptions } from './slo-dashboard.ts'
export { serviceDashboard } from './service-dashboard.ts'
export { overviewDashboard } from './overview-dashboard.ts'
export { dashboardUid, type DashboardKind } from './uid.ts'
export { FLAVOURS, type Flavour } from './queries.ts'
export { burnRateAlertWindows, type BurnRateAlertWindow, type PolicyResolver } from './alert-windows.ts'
export { CLICKHOUSE_DATASOURCE_TYPE, CLICKHOUSE_QUERY_PLUGIN_VERSION } from './clickhouse-query.ts'
export { pushDashboards, GrafanaError, type GrafanaTarget, type PushResult } from './grafana-push.ts'
export { provisioningYaml } from './provisioning.ts'

import { createHash } from 'node:crypto'
import type { Dashboard } from '@grafana/grafana-foundation-sdk/dashboard'
import type { Slo } from '../slo-engine/index.ts'
import { overviewDashboard } from './overview-dashboard.ts'
import type { Flavour } from './queries.ts'
import { serviceDashboard } from './service-dashboard.ts'
import { sloDashboard, type DashboardOptions } from './slo-dashboard.ts'
import type { DashboardKind } from './uid.ts'

export interface GeneratedDashboard {
  kind: DashboardKind
  /** SLO id or service name; empty for the overview. */
  key: string
  flavour: Flavour
  /** Path relative to the output directory, e.g. `prometheus/slo/checkout-availability.json`. */
  path: string
  dashboard: Dashboard
}

/** A file name from an id or service name; a name that had to be changed gets a hash so two never collide. */
function fileName(key: string): string {
  const safe = key.replace(/[^A-Za-z0-9._-]/g, '_').replace(/^\./, '_')
  return safe === key ? key : `${safe}-${createHash('sha256').update(key).digest('hex').slice(0, 8)}`
}

/**
 * Every dashboard for a set of SLOs, in the given flavours: one per SLO, one
 * per service and the overview. Pure: same SLOs in, same dashboards out.
 */
export function generateDashboards(slos: readonly Slo[], flavours: readonly Flavour[], options: Omit<DashboardOptions, 'flavour'> = {}): GeneratedDashboard[] {
  const sorted = [...slos].sort((a, b) => a.id.localeCompare(b.id))
  const services = [...new Set(sorted.map((s) => s.service))].sort()
  const out: GeneratedDashboard[] = []
  for (const flavour of flavours) {
    const opts = { ...options, flavour }
    for (const slo of sorted) out.push({ kind: 'slo', key: slo.id, flavour, path: `${flavour}/slo/${fileName(slo.id)}.json`, dashboard: sloDashboard(slo, opts) })
    for (const service of services) {
      out.push({ kind: 'service', key: service, flavour, path: `${flavour}/service/${fileName(service)}.json`, dashboard: serviceDashboard(service, sorted, opts) })
    }
    out.push({ kind: 'overview', key: '', flavour, path: `${flavour}/overview.json`, dashboard: overviewDashboard(sorted.length, opts) })
  }
  return out
}

/** Dashboard JSON as Grafana stores it, with a stable key order and a trailing newline. */
export function dashboardJson(dashboard: Dashboard): string {
  return `${JSON.stringify(dashboard, null, 2)}\n`
}

import { createHash } from 'node:crypto'
import type { Flavour } from './queries.ts'

// Grafana dashboard uids: at most 40 characters of [A-Za-z0-9_-]. The same
// SLO, kind and flavour always give the same uid, so regenerating and pushing
// again overwrites the dashboard instead of adding one.

const MAX_UID = 40
const FLAVOUR_SUFFIX: Record<Flavour, string> = { prometheus: 'prom', clickhouse: 'ch' }

export type DashboardKind = 'slo' | 'service' | 'overview'

export function dashboardUid(kind: DashboardKind, key: string, flavour: Flavour): string {
  const readable = `cairn-${kind}${key ? `-${key}` : ''}-${FLAVOUR_SUFFIX[flavour]}`
  if (readable.length <= MAX_UID && /^[A-Za-z0-9_-]+$/.test(readable)) return readable
  const hash = createHash('sha256').update(`${kind}\0${key}\0${flavour}`).digest('hex').slice(0, 10)
  const head = `cairn-${kind}-${key.replace(/[^A-Za-z0-9_-]/g, '_')}`
  return `${head.slice(0, MAX_UID - hash.length - FLAVOUR_SUFFIX[flavour].length - 2)}-${hash}-${FLAVOUR_SUFFIX[flavour]}`
}

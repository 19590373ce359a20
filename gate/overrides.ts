import { randomUUID } from 'node:crypto'
import { createTablesMigration, type Migration, type Storage } from '../storage/index.ts'

// Deploy-gate overrides: who opened which frozen service (or SLO), why, and
// until when. An audit record: rows are never deleted; a revocation is a
// newer row of the same id (ReplacingMergeTree keeps the latest by updated_at).

export const GATE_OVERRIDES_TABLE = 'cairn_gate_overrides'

export const gateMigrations: Migration[] = [
  createTablesMigration('gate/001_overrides', 'deploy-gate overrides (who, why, until when, revocation)', () => [
    {
      name: GATE_OVERRIDES_TABLE,
      columns: [
        'id String',
        'service String',
        // '' = every SLO of the service
        'slo_id String',
        'who String',
        'why String',
        // The API token that created it (its configured name), beside the self-declared `who`.
        'created_by String',
        'created_at DateTime64(3)',
        'until DateTime64(3)',
        'revoked_at Nullable(DateTime64(3))',
        'revoked_by String',
        'updated_at DateTime64(3)',
      ],
      engine: 'ReplacingMergeTree',
      engineArgs: ['updated_at'],
      orderBy: 'id',
      shardingKey: 'cityHash64(id)',
    },
  ]),
]

export interface GateOverride {
  id: string
  service: string
  /** null: the whole service. */
  sloId: string | null
  who: string
  why: string
  createdBy: string
  createdAtMs: number
  untilMs: number
  revokedAtMs: number | null
  revokedBy: string
}

interface Row {
  id: string
  service: string
  slo_id: string
  who: string
  why: string
  created_by: string
  created_at: string
  until: string
  revoked_at: string | null
  revoked_by: string
}

function toRow(o: GateOverride, updatedAtMs: number) {
  return {
    id: o.id, service: o.service, slo_id: o.sloId ?? '', who: o.who, why: o.why, created_by: o.createdBy,
    created_at: o.createdAtMs, until: o.untilMs, revoked_at: o.revokedAtMs, revoked_by: o.revokedBy, updated_at: updatedAtMs,
  }
}

const fromRow = (r: Row): GateOverride => ({
  id: r.id, service: r.service, sloId: r.slo_id === '' ? null : r.slo_id, who: r.who, why: r.why, createdBy: r.created_by,
  createdAtMs: Number(r.created_at), untilMs: Number(r.until), revokedAtMs: r.revoked_at === null ? null : Number(r.revoked_at), revokedBy: r.revoked_by,
})

export interface NewOverride {
  service: string
  sloId: string | null
  who: string
  why: string
  createdBy: string
  untilMs: number
}

export async function createOverride(storage: Storage, o: NewOverride, nowMs: number): Promise<GateOverride> {
  const override: GateOverride = { id: randomUUID(), ...o, createdAtMs: nowMs, revokedAtMs: null, revokedBy: '' }
  await storage.insertRows(GATE_OVERRIDES_TABLE, [toRow(override, nowMs)])
  return override
}

/** Overrides of a service (or all), newest first; only those active at `activeAtMs` when given. */
export async function listOverrides(storage: Storage, filter: { service?: string; activeAtMs?: number } = {}): Promise<GateOverride[]> {
  const rows = await storage.query<Row>(
    `SELECT id, service, slo_id, who, why, created_by,
            toUnixTimestamp64Milli(created_at) AS created_at, toUnixTimestamp64Milli(until) AS until,
            toUnixTimestamp64Milli(revoked_at) AS revoked_at, revoked_by
     FROM ${GATE_OVERRIDES_TABLE}
     ${filter.service === undefined ? '' : 'WHERE service = {service:String}'}
     ORDER BY updated_at DESC
     LIMIT 1 BY id`,
    filter.service === undefined ? undefined : { service: filter.service },
  )
  const all = rows.map(fromRow).sort((a, b) => b.createdAtMs - a.createdAtMs)
  const at = filter.activeAtMs
  return at === undefined ? all : all.filter((o) => o.revokedAtMs === null && o.createdAtMs <= at && o.untilMs > at)
}

/** Ends an override now; undefined when there is no such override. */
export async function revokeOverride(storage: Storage, id: string, revokedBy: string, nowMs: number): Promise<GateOverride | undefined> {
  const current = (await listOverrides(storage)).find((o) => o.id === id)
  if (!current) return undefined
  if (current.revokedAtMs !== null) return current
  const revoked = { ...current, revokedAtMs: nowMs, revokedBy }
  await storage.insertRows(GATE_OVERRIDES_TABLE, [toRow(revoked, Math.max(nowMs, current.createdAtMs + 1))])
  return revoked
}

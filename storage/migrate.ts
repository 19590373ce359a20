import { alterTtlStatement, createTableStatements, type DdlTarget, type TableDef } from './ddl.ts'
import type { Storage } from './storage.ts'

/**
 * One versioned schema step. `id` is unique and never reused ("<component>/<nnn>_<what>");
 * statements must be idempotent (IF NOT EXISTS), so a step interrupted half-way is
 * simply run again. Each component owns its migrations; the process applies them
 * in the order given.
 */
export interface Migration {
  id: string
  description: string
  statements(target: DdlTarget): string[]
}

export interface MigrationResult {
  applied: string[]
  ttlChanged: string[]
}

const MIGRATIONS_TABLE: TableDef = {
  name: 'cairn_schema_migrations',
  columns: ['id String', 'description String', 'applied_at DateTime64(3)'],
  engine: 'MergeTree',
  orderBy: 'id',
}

export function ddlTarget(storage: Storage): DdlTarget {
  return { database: storage.database, cluster: storage.cluster }
}

/** A migration that creates the given tables. */
export function createTablesMigration(id: string, description: string, tables: () => TableDef[]): Migration {
  return { id, description, statements: (target) => tables().flatMap((t) => createTableStatements(t, target)) }
}

/**
 * Applies the migrations not yet recorded, in order, then brings each table's
 * TTL in line with `ttlTables` (TTL is configuration, not a schema version).
 */
export async function migrate(storage: Storage, migrations: readonly Migration[], ttlTables: readonly TableDef[] = []): Promise<MigrationResult> {
  const target = ddlTarget(storage)
  for (const stmt of createTableStatements(MIGRATIONS_TABLE, target)) await storage.command(stmt)
  const done = new Set((await storage.query<{ id: string }>(`SELECT DISTINCT id FROM ${MIGRATIONS_TABLE.name}`)).map((r) => r.id))
  const applied: string[] = []
  for (const m of migrations) {
    if (done.has(m.id)) continue
    for (const stmt of m.statements(target)) await storage.command(stmt)
    await storage.insertRows(MIGRATIONS_TABLE.name, [{ id: m.id, description: m.description, applied_at: Date.now() }])
    applied.push(m.id)
  }
  const ttlChanged = await syncTtl(storage, ttlTables, target)
  return { applied, ttlChanged }
}

/** True when every migration in `migrations` is recorded as applied. */
export async function isMigrated(storage: Storage, migrations: readonly Migration[]): Promise<boolean> {
  try {
    const rows = await storage.query<{ id: string }>(`SELECT DISTINCT id FROM ${MIGRATIONS_TABLE.name}`)
    const done = new Set(rows.map((r) => r.id))
    return migrations.every((m) => done.has(m.id))
  } catch {
    return false
  }
}

async function syncTtl(storage: Storage, tables: readonly TableDef[], target: DdlTarget): Promise<string[]> {
  if (tables.length === 0) return []
  const local = (t: TableDef) => (target.cluster ? `${t.name}_local` : t.name)
  const rows = await storage.query<{ name: string; engine_full: string }>(
    'SELECT name, engine_full FROM system.tables WHERE database = currentDatabase() AND name IN {names:Array(String)}',
    { names: tables.map(local) },
  )
  const current = new Map(rows.map((r) => [r.name, currentTtlDays(r.engine_full)]))
  const changed: string[] = []
  for (const t of tables) {
    if (!current.has(local(t)) || current.get(local(t)) === wantedTtlDays(t)) continue
    await storage.command(alterTtlStatement(t, target))
    changed.push(t.name)
  }
  return changed
}

const TTL_DAYS = /TTL .*?toIntervalDay\((\d+)\)/

function currentTtlDays(engineFull: string): number | undefined {
  const m = TTL_DAYS.exec(engineFull)
  return m ? Number(m[1]) : undefined
}

function wantedTtlDays(t: TableDef): number | undefined {
  return t.ttl ? currentTtlDays(`TTL ${t.ttl}`) : undefined
}

import { createMaterializedViewStatement, createTableStatements, localTableName, type DdlTarget } from '../ddl.ts'
import type { Migration } from '../migrate.ts'
import { quoteIdentifier } from '../storage.ts'
import { DEDUPLICATION_WINDOW, INGESTED_AT, INGEST_WATERMARKED_TABLES, ingestedAtDeclaration, ingestedAtIndex, otelTables, traceIdTsView, type TtlDays } from './otel-tables.ts'

/** The telemetry tables. TTLs given here are those of a fresh install; later changes go through migrate's TTL sync. */
export function otelMigrations(ttlDays: TtlDays): Migration[] {
  return [
    {
      id: 'storage/001_otel_tables',
      description: 'OpenTelemetry exporter tables for traces, logs and metrics, with the trace id lookup view',
      statements: (target) => [
        ...otelTables(ttlDays).flatMap((t) => createTableStatements(t, target)),
        createMaterializedViewStatement(traceIdTsView, target),
      ],
    },
    ...ingestedAtMigrations,
    {
      // Tables made before the collector's write-ahead queue get its deduplication window (new ones are created with it).
      id: 'storage/004_insert_deduplication_window',
      description: 'non_replicated_deduplication_window on the telemetry tables, so a replayed insert is stored once',
      statements: (target) => {
        const setting = Object.entries(DEDUPLICATION_WINDOW).map(([k, v]) => `${k} = ${v}`).join(', ')
        const onCluster = target.cluster ? ` ON CLUSTER ${quoteIdentifier(target.cluster)}` : ''
        return otelTables(ttlDays).map((t) => `ALTER TABLE ${quoteIdentifier(localTableName(t.name, target))}${onCluster} MODIFY SETTING ${setting}`)
      },
    },
  ]
}

// The ingest time column on stores created before it (new stores get it from
// 001). A column added by ALTER is not stored in the existing parts: reading
// it there evaluates its expression, and now64(3) would make every old row
// look just stored, at every read, and a merge would store that instant. So
// the old rows get a stored 1970-01-01 first (one column written per part,
// waited for), and only then does the expression become now64(3), which
// changes metadata only: stored values stay. Two steps, because a re-run of
// the first after the second would stamp every old row with the time of the
// re-run; each is safe to run again on its own. The minmax index is built for
// the old parts too, else every read of new rows would open them all.

const WAIT = 'SETTINGS mutations_sync = 2'
const BEFORE_THE_COLUMN = 'toDateTime64(0, 3)'

function ingestedAtStatements(target: DdlTarget, step: 'placeholder' | 'now'): string[] {
  const onCluster = target.cluster ? ` ON CLUSTER ${quoteIdentifier(target.cluster)}` : ''
  return INGEST_WATERMARKED_TABLES.flatMap((name) => {
    const local = `${quoteIdentifier(localTableName(name, target))}${onCluster}`
    // The Distributed table (cluster) declares the column too, so that reads through it can select it.
    const all = target.cluster ? [local, `${quoteIdentifier(name)}${onCluster}`] : [local]
    if (step === 'placeholder') {
      return [
        ...all.map((t) => `ALTER TABLE ${t} ADD COLUMN IF NOT EXISTS ${ingestedAtDeclaration(BEFORE_THE_COLUMN)}`),
        ...all.map((t) => `ALTER TABLE ${t} MODIFY COLUMN ${ingestedAtDeclaration(BEFORE_THE_COLUMN)}`),
        `ALTER TABLE ${local} MATERIALIZE COLUMN ${INGESTED_AT.column} ${WAIT}`,
      ]
    }
    return [
      ...all.map((t) => `ALTER TABLE ${t} MODIFY COLUMN ${ingestedAtDeclaration()}`),
      `ALTER TABLE ${local} ADD ${ingestedAtIndex().replace(/^INDEX /, 'INDEX IF NOT EXISTS ')}`,
      `ALTER TABLE ${local} MATERIALIZE INDEX ${INGESTED_AT.index} ${WAIT}`,
    ]
  })
}

const ingestedAtMigrations: Migration[] = [
  {
    id: 'storage/002_ingested_at_stored',
    description: 'otel_traces and otel_logs: CairnIngestedAt column, 1970-01-01 stored for the rows stored before it',
    statements: (target) => ingestedAtStatements(target, 'placeholder'),
  },
  {
    id: 'storage/003_ingested_at_now',
    description: 'otel_traces and otel_logs: CairnIngestedAt is the insert time from now on, with a minmax index',
    statements: (target) => ingestedAtStatements(target, 'now'),
  },
]

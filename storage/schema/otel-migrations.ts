import { createMaterializedViewStatement, createTableStatements, localTableName } from '../ddl.ts'
import type { Migration } from '../migrate.ts'
import { quoteIdentifier } from '../storage.ts'
import { DEDUPLICATION_WINDOW, otelTables, traceIdTsView, type TtlDays } from './otel-tables.ts'

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
    {
      // Tables made before the collector's write-ahead queue get its deduplication window (new ones are created with it).
      id: 'storage/002_insert_deduplication_window',
      description: 'non_replicated_deduplication_window on the telemetry tables, so a replayed insert is stored once',
      statements: (target) => {
        const setting = Object.entries(DEDUPLICATION_WINDOW).map(([k, v]) => `${k} = ${v}`).join(', ')
        const onCluster = target.cluster ? ` ON CLUSTER ${quoteIdentifier(target.cluster)}` : ''
        return otelTables(ttlDays).map((t) => `ALTER TABLE ${quoteIdentifier(localTableName(t.name, target))}${onCluster} MODIFY SETTING ${setting}`)
      },
    },
  ]
}

import { createMaterializedViewStatement, createTableStatements } from '../ddl.ts'
import type { Migration } from '../migrate.ts'
import { otelTables, traceIdTsView, type TtlDays } from './otel-tables.ts'

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
  ]
}

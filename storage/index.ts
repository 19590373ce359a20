export { openStorage } from './open.ts'
export type { Storage, RawInsertFormat, TextInsertFormat, RowBinaryFormat, RowBinaryColumn, QueryParams, FileRange } from './storage.ts'
export { quoteIdentifier, rowBinary } from './storage.ts'
export {
  StorageError,
  StorageUnavailableError,
  StorageTimeoutError,
  StorageBadDataError,
  StorageQueryError,
  clickhouseErrorCode,
  toStorageError,
  isStorageUnavailable,
} from './errors.ts'
export {
  createTableStatements,
  createMaterializedViewStatement,
  localTableName,
  type TableDef,
  type MaterializedViewDef,
  type DdlTarget,
  type MergeTreeKind,
} from './ddl.ts'
export { migrate, isMigrated, createTablesMigration, ddlTarget, type Migration, type MigrationResult } from './migrate.ts'
export { OTEL_TABLES, INGESTED_AT, otelTables, otelTable, otelInsertColumns, type TtlDays } from './schema/otel-tables.ts'
export { SPAN_KINDS, STATUS_CODES, STATUS_ERROR, SERVING_SPAN_KINDS, SEVERITY_NUMBERS, severityNumberOf, type SpanKind, type StatusCode } from './schema/otel-vocabulary.ts'
export { insertColumns, parseColumn, plainType, type Column } from './schema/columns.ts'
export { otelMigrations } from './schema/otel-migrations.ts'

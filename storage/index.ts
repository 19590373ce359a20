export { openStorage } from './open.ts'
export type { Storage, RawInsertFormat, TextInsertFormat, RowBinaryFormat, RowBinaryColumn, QueryParams } from './storage.ts'
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
export { OTEL_TABLES, otelTables, type TtlDays } from './schema/otel-tables.ts'
export { otelMigrations } from './schema/otel-migrations.ts'

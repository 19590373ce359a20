export { createEngine, type Engine, type EngineDeps } from './engine.ts'
export { engineMigrations, ENGINE_TABLES } from './tables.ts'
export * from './model.ts'
export { parseDuration, formatDuration } from './duration.ts'
export {
  formatSpecError,
  parseSloDocuments,
  loadSloFiles,
  SPEC_LIMITS,
  SPEC_PARSE_TASK,
  checkAndParseSpecs,
  notifyUrlsChecked,
  type CheckedSpecs,
  type ParsedSpecs,
  type SpecError,
  type SpecParseOptions,
} from './spec/index.ts'
export { createSloCatalog, definitionHash, API_SOURCE_FILE, type SloCatalog, type SloCatalogDeps } from './catalog.ts'
export { readLatestEvaluations, readEvaluationHistory, readClosingEvaluations } from './evaluate/store.ts'
export { readBudgetTrends } from './evaluate/trends.ts'
export { readPeriodCounts, type PeriodCounts } from './evaluate/period.ts'
export { ratios as sloRatios, RECENT_SECONDS } from './evaluate/evaluate.ts'
export { SLO_GAUGES, OWN_WINDOW_KEY } from './metrics.ts'
export { withEmbeddedRegexCheck, storageRegexChecker, type RegexChecker } from './regex-check.ts'
export { periodStartSeconds } from './evaluate/calendar.ts'
export { budgetForecast, forecastBurnRate, periodEndSeconds, FORECAST_WINDOWS, type BudgetForecast } from './evaluate/forecast.ts'
export * from './attribution/index.ts'
export { createClickHouseLease, createStaticLease, type Lease, type LeaseOptions, type LeaseStatus, type Leadership } from './lease/lease.ts'
export { fencedStorage, NotLeaderError } from './lease/fence.ts'
export { registerLeaseMetrics } from './lease/metrics.ts'
export { leaseMigrations, LEASE_TABLE } from './lease/table.ts'

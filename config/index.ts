export { loadConfig, ConfigError } from './load.ts'
export { ENV_VARS, envVarForKey, type EnvVar } from './env.ts'
export {
  configSchema,
  DEFAULT_EVAL_SETTLE,
  limitsSchema,
  logLevels,
  type CairnConfig,
  type StorageConfig,
  type CollectorConfig,
  type ApiConfig,
  type LimitsConfig,
  type ApiRole,
  type ApiToken,
  type ApiReadLimits,
  authModes,
  apiRoles,
  type EngineConfig,
  type AlertsConfig,
  type GateConfig,
  type ReportsConfig,
  budgetPolicyFields,
  leaseTtlMs,
} from './schema.ts'

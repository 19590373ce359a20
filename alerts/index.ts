export { alertsMigrations, ALERT_STATE_TABLE } from './tables.ts'
export {
  REFERENCE_POLICY,
  REFERENCE_PERIOD_SECONDS,
  alertPolicyFor,
  derivePolicySpec,
  resolvePolicy,
  periodSeconds,
  burnRateFactor,
  extraWindowsSeconds,
  policyWindowsSeconds,
  type AlertPolicy,
  type AlertWindowPair,
  type PolicyOverrides,
  type Severity,
} from './policy.ts'
export { evaluateConditions, type SeverityCondition } from './condition.ts'
export { generatePrometheusRules, sloRuleGroups, staleAfterSeconds, type RuleOptions } from './rules/generate.ts'
export { formatPromDuration } from './rules/prom-duration.ts'
export { parseWindowsFile, WindowsFileError } from './windows-file.ts'
export { loadWindows } from './windows-load.ts'
export { createAlerter, globalTargets, type Alerter, type AlerterDeps } from './alerter.ts'
export { alertLabels } from './labels.ts'
export { loadAlertStates, loadAlertStateChanges, type AlertStateChange } from './state-store.ts'
export type { AlertState } from './state.ts'
export { ruleOptionsFromConfig } from './rule-config.ts'
export { configuredWindows, policyResolver, policyResolverFromConfig, scheduleIntervalSeconds } from './rule-config.ts'
export { notifyUrlAllowlist, urlAllowlist, type UrlAllowlist } from './notify/allowlist.ts'
export { redactSlo, redactNotifyTarget, redactUrl, REDACTED } from './notify/secrets.ts'
export { MAX_ERROR_BODY_BYTES, postJson, type RetryPolicy } from './notify/http.ts'

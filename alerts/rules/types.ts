// The shape of a Prometheus rule file, as plain data. Key order in these
// objects is the order written, so generation is deterministic.

export interface RecordingRule {
  record: string
  expr: string
  labels: Record<string, string>
}

export interface AlertingRule {
  alert: string
  expr: string
  for?: string
  labels: Record<string, string>
  annotations: Record<string, string>
}

export type Rule = RecordingRule | AlertingRule

export interface RuleGroup {
  name: string
  rules: Rule[]
}

/** Labels sorted by name, as every generated rule writes them. */
export function sortedLabels(...sources: Record<string, string>[]): Record<string, string> {
  const merged: Record<string, string> = Object.assign({}, ...sources)
  return Object.fromEntries(Object.keys(merged).sort().map((k) => [k, merged[k]!]))
}

/** A PromQL string literal. */
export function promString(value: string): string {
  return JSON.stringify(value)
}

/** `{a="1", b="2"}`: an equality selector over the given labels, in the given order. */
export function selector(labels: Record<string, string>): string {
  return `{${Object.entries(labels).map(([k, v]) => `${k}=${promString(v)}`).join(', ')}}`
}

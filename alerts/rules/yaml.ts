import type { Rule, RuleGroup } from './types.ts'

// A writer for exactly the shape of a Prometheus rule file. A general YAML
// library spends ~2.7 ms per SLO deciding how to write each scalar; here the
// rules are few and conservative, so 1,000 SLOs take milliseconds:
//  - multi-line strings (expressions) as literal blocks, `|`, `|-` or `|+`
//    after their trailing newlines;
//  - other strings plain when no YAML reader could take them for anything else
//    (`sloth_window: 5m`, `expr: vector(1)`), otherwise double-quoted with JSON
//    escapes, which YAML 1.1 (Prometheus' parser) and 1.2 read alike — so
//    "true", "1", "1:30" or "a: b" stay strings.

/** Strings YAML 1.1 or 1.2 would read as something else than a string, or that plain style cannot carry. */
const NOT_PLAIN = [
  /^$/,
  /^[-?:,[\]{}#&*!|>'"%@`\s]/, // starts with an indicator or a space
  /^\.\.\./, // document end marker
  /: |:$| #|\s$|[\t\n\r]/, // would end the value, start a comment, lose trailing space or span lines
  /^(?:y|yes|n|no|true|false|on|off|null|~)$/i, // YAML 1.1 booleans and null
  /^[-+]?(?:[0-9][0-9_]*)?(?:\.[0-9_]*)?(?:e[-+]?[0-9]+)?$/i, // numbers
  /^[-+]?0[xob][0-9a-f_]+$/i,
  /^[-+]?\.(?:inf|nan)$/i,
  /^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$/, // YAML 1.1 sexagesimal numbers (1:30)
  /^[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}/, // timestamps
]
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u2028\u2029\ufeff]/

/** JSON's escapes, plus the characters YAML treats as line breaks or non-printable that JSON leaves raw. */
function quoted(text: string): string {
  return JSON.stringify(text).replace(/[\u007f-\u009f\u2028\u2029\ufeff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)
}

function inlineScalar(text: string): string {
  return CONTROL.test(text) || NOT_PLAIN.some((re) => re.test(text)) ? quoted(text) : text
}

/** A string value after `key:` at `indent` spaces. */
function scalar(text: string, indent: number): string {
  if (!text.includes('\n') || /^\n*$/.test(text) || CONTROL.test(text) || /^\n*[ \t]/.test(text) || /\r/.test(text)) return ` ${inlineScalar(text)}`
  const body = text.replace(/\n+$/, '')
  const trailing = text.length - body.length
  const chomp = trailing === 0 ? '-' : trailing === 1 ? '' : '+'
  const pad = ' '.repeat(indent + 2)
  const lines = (trailing > 1 ? text.slice(0, -1) : body).split('\n')
  return ` |${chomp}\n${lines.map((l) => (l === '' ? '' : pad + l)).join('\n')}`
}

function map(key: string, entries: Record<string, string>, indent: number): string {
  const pad = ' '.repeat(indent)
  const keys = Object.keys(entries)
  if (keys.length === 0) return `${pad}${key}: {}\n`
  return `${pad}${key}:\n${keys.map((k) => `${pad}  ${inlineScalar(k)}:${scalar(entries[k]!, indent + 2)}\n`).join('')}`
}

function rule(r: Rule): string {
  const head = 'record' in r ? `  - record: ${inlineScalar(r.record)}\n` : `  - alert: ${inlineScalar(r.alert)}\n`
  let out = `${head}    expr:${scalar(r.expr, 4)}\n`
  if ('alert' in r && r.for) out += `    for: ${inlineScalar(r.for)}\n`
  out += map('labels', r.labels, 4)
  if ('alert' in r) out += map('annotations', r.annotations, 4)
  return out
}

/** The rule file for these groups. */
export function ruleFileYaml(groups: readonly RuleGroup[]): string {
  if (groups.length === 0) return 'groups: []\n'
  return `groups:\n${groups.map((g) => `- name: ${inlineScalar(g.name)}\n  rules:\n${g.rules.map(rule).join('')}`).join('')}`
}

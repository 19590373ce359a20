import type { z } from 'zod'
import type { DocumentPositions, SpecError, SpecPath } from './errors.ts'

type Issue = z.core.$ZodIssue

/**
 * zod issues as spec errors: each at the position of the offending key or
 * value, worded as "<path>: <what was expected> (got <value>)".
 */
export function issuesToErrors(issues: readonly Issue[], raw: unknown, at: DocumentPositions): SpecError[] {
  return issues.flatMap(flattenUnion).map((issue) => {
    const path = issue.path.filter((p): p is string | number => typeof p !== 'symbol')
    if (issue.code === 'unrecognized_keys') {
      const keys = issue.keys.map((k) => dotted([...path, k]))
      return at.keyError([...path, issue.keys[0]!], `unknown key${keys.length > 1 ? 's' : ''} ${keys.join(', ')}`)
    }
    const value = valueAt(raw, path)
    if (value === undefined) return at.error(path, `${dotted(path)}: is required${expectation(issue)}`)
    // A refinement of a whole mapping says what it wants; "(got a mapping)" would add nothing.
    // A notification secret (routing key, header value) is named, never echoed: errors are logged.
    const secret = path.some((p) => p === 'routingKey' || p === 'headers')
    const got = secret || (issue.code === 'custom' && typeof value === 'object' && value !== null) ? '' : ` (got ${show(value)})`
    return at.error(path, `${dotted(path)}: ${describe(issue)}${got}`)
  })
}

/**
 * A union fails with one issue per branch. When exactly one branch has the
 * input's shape (right type, no unknown or missing keys at its top level), its
 * own issues say more than "invalid input".
 */
function flattenUnion(issue: Issue): Issue[] {
  if (issue.code !== 'invalid_union' || !('errors' in issue) || !issue.errors) return [issue]
  const shaped = issue.errors.filter((branch) => !branch.some(isShapeMismatch))
  if (shaped.length !== 1) return [issue]
  return shaped[0]!.flatMap((inner) => flattenUnion({ ...inner, path: [...issue.path, ...inner.path] } as Issue))
}

function isShapeMismatch(issue: Issue): boolean {
  if (issue.path.length === 0) return issue.code === 'invalid_type' || issue.code === 'unrecognized_keys' || issue.code === 'invalid_value'
  return issue.path.length === 1 && issue.code === 'invalid_type' && issue.message.endsWith('received undefined')
}

function describe(issue: Issue): string {
  if (issue.code === 'invalid_type') return issue.message.startsWith('Invalid input') ? `expected ${article(issue.expected)}` : issue.message
  if (issue.code === 'invalid_value' && issue.message.startsWith('Invalid option')) return `expected one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`
  return issue.message
}

function expectation(issue: Issue): string {
  if (issue.code === 'invalid_type') return issue.message.startsWith('Invalid input') ? ` (${article(issue.expected)})` : ` (${issue.message})`
  if (issue.code === 'invalid_value') return ` (one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')})`
  return ` (${issue.message})`
}

function article(type: string): string {
  const names: Record<string, string> = { object: 'a mapping', array: 'a list', string: 'a string', number: 'a number', boolean: 'true or false', record: 'a mapping' }
  return names[type] ?? type
}

export function dotted(path: SpecPath): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? p : `.${p}`)).join('') || '(document)'
}

function valueAt(raw: unknown, path: SpecPath): unknown {
  let node = raw
  for (const part of path) {
    if (typeof node !== 'object' || node === null) return undefined
    node = (node as Record<string | number, unknown>)[part]
  }
  return node
}

function show(value: unknown): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'a list'
  if (typeof value === 'object') return 'a mapping'
  const text = JSON.stringify(value)
  return text.length > 60 ? `${text.slice(0, 57)}…` : text
}

import { readFileSync } from 'node:fs'
import { LineCounter, parseDocument, isMap, type Document } from 'yaml'
import type { z } from 'zod'
import { configSchema, type CairnConfig } from './schema.ts'
import { ENV_VARS } from './env.ts'

/** A configuration that cannot be used. `problems` has one line per bad key. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n  ${problems.join('\n  ')}`)
    this.name = 'ConfigError'
  }
}

type Env = Record<string, string | undefined>

interface FileSource {
  path: string
  doc: Document
  lines: LineCounter
}

/**
 * Builds the configuration from the YAML file named by CAIRN_CONFIG (optional)
 * and the CAIRN_* environment variables (which win), validated as a whole.
 */
export function loadConfig(env: Env = process.env): CairnConfig {
  const file = env.CAIRN_CONFIG ? readConfigFile(env.CAIRN_CONFIG) : undefined
  const raw: Record<string, unknown> = file ? ((file.doc.toJS() as Record<string, unknown> | null) ?? {}) : {}
  const fromEnv = new Map<string, string>()
  for (const v of ENV_VARS) {
    const value = env[v.name]
    if (value === undefined || value === '') continue
    setPath(raw, v.key.split('.'), value)
    fromEnv.set(v.key, v.name)
  }
  const parsed = configSchema.safeParse(raw)
  if (parsed.success) return parsed.data
  throw new ConfigError(parsed.error.issues.map((issue) => describeIssue(issue, raw, fromEnv, file)))
}

function readConfigFile(path: string): FileSource {
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (err) {
    throw new ConfigError([`CAIRN_CONFIG: cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`])
  }
  const lines = new LineCounter()
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false })
  if (doc.errors.length > 0) {
    throw new ConfigError(
      doc.errors.map((e) => {
        const at = lines.linePos(e.pos[0])
        return `${path}:${at.line}:${at.col}: ${e.message.split('\n')[0]}`
      }),
    )
  }
  if (doc.contents !== null && !isMap(doc.contents)) {
    throw new ConfigError([`${path}: expected a mapping of config keys at the top level`])
  }
  return { path, doc, lines }
}

function setPath(target: Record<string, unknown>, path: string[], value: unknown): void {
  let node = target
  for (const part of path.slice(0, -1)) {
    const next = node[part]
    if (typeof next !== 'object' || next === null) node[part] = {}
    node = node[part] as Record<string, unknown>
  }
  node[path[path.length - 1]!] = value
}

function getPath(source: unknown, path: readonly PropertyKey[]): unknown {
  let node = source
  for (const part of path) {
    if (typeof node !== 'object' || node === null) return undefined
    node = (node as Record<PropertyKey, unknown>)[part]
  }
  return node
}

function describeIssue(issue: z.core.$ZodIssue, raw: unknown, fromEnv: Map<string, string>, file?: FileSource): string {
  const path = issue.path.map(String)
  if (issue.code === 'unrecognized_keys') {
    const keys = issue.keys.map((k) => [...path, k].join('.'))
    return `${where(path, fromEnv, file)}: unknown key${keys.length > 1 ? 's' : ''} ${keys.join(', ')}`
  }
  const key = path.join('.')
  const value = getPath(raw, issue.path as PropertyKey[])
  // Secrets are named, never echoed: a rejected token or password must not reach the logs.
  const secret = path.some((p) => SECRET_KEYS.test(p))
  const got = value === undefined || secret ? '' : ` (got ${JSON.stringify(value)})`
  return `${where(path, fromEnv, file)}: ${key ? `${key}: ` : ''}${issue.message}${got}`
}

const SECRET_KEYS = /^(tokens?|password|secret|pagerdutyRoutingKey|webhookHeaders)$/i

function where(path: string[], fromEnv: Map<string, string>, file?: FileSource): string {
  // A variable that sets a whole list (CAIRN_API_TOKENS) is named for a problem inside it too.
  const envName = path.map((_, i) => fromEnv.get(path.slice(0, path.length - i).join('.'))).find((name) => name !== undefined)
  if (envName) return envName
  if (!file) return 'config'
  const node = file.doc.getIn(path, true) as { range?: [number, number, number] } | undefined
  const offset = node?.range?.[0]
  if (offset === undefined) return file.path
  const pos = file.lines.linePos(offset)
  return `${file.path}:${pos.line}:${pos.col}`
}

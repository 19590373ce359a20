import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { configSchema } from '../config/index.ts'
import { clickhouseErrorCode, openStorage, type Storage } from '../storage/index.ts'
import type { Slo } from './model.ts'
import { anchoredPattern } from './sli/plan.ts'
import { confine } from './confine.ts'
import { regexErrors, regexUses, type RegexVerdicts } from './spec/regex.ts'
import type { ParsedSpecs } from './spec/index.ts'

// Regexes are checked by the engine that will run them: ClickHouse's RE2,
// through storage (embedded or server), compiled in the anchored form the
// rollup queries use. Verdicts are cached: a pattern is compiled once per process.

/** Asks RE2 about patterns; resolves to the refused ones and why. Throws when storage cannot answer. */
export type RegexChecker = (patterns: Iterable<string>) => Promise<RegexVerdicts>

const CANNOT_COMPILE_REGEXP = 427
const CACHE_LIMIT = 10_000

export function storageRegexChecker(storage: Storage): RegexChecker {
  const verdicts = new Map<string, string | null>()
  return async (patterns) => {
    const wanted = [...new Set(patterns)]
    const unknown = wanted.filter((p) => !verdicts.has(p))
    if (unknown.length > 0) {
      if (verdicts.size + unknown.length > CACHE_LIMIT) verdicts.clear()
      for (const [pattern, verdict] of await compileAll(storage, unknown)) verdicts.set(pattern, verdict)
    }
    const refused = new Map<string, string>()
    for (const p of wanted) {
      const verdict = verdicts.get(p)
      if (verdict) refused.set(p, verdict)
    }
    return refused
  }
}

/**
 * Compiles the patterns in one query (RE2 compiles each on first use), bisected
 * when one is refused: a catalog of a thousand patterns costs one query, and
 * k refused ones about 2·k·log2(n) more. Verdicts: null when RE2 compiles it.
 */
async function compileAll(storage: Storage, patterns: string[]): Promise<Map<string, string | null>> {
  const out = await confine(patterns, (part) => storage.query(`SELECT arrayMap(p -> match('', p), {ps:Array(String)}) AS m`, { ps: part.map(anchoredPattern) }))
  const verdicts = new Map<string, string | null>(out.done.flatMap((d) => d.items.map((p) => [p, null] as const)))
  for (const { item, error } of out.failed) {
    if (clickhouseErrorCode(error) !== CANNOT_COMPILE_REGEXP) throw error
    // "OptimizedRegularExpression: cannot compile re2: <pattern>, error: <reason>. Look at …"
    const message = (error as Error).message
    verdicts.set(item, /, error: (.*?)\. Look at /s.exec(message)?.[1] ?? message.split('\n')[0]!)
  }
  return verdicts
}

/** The refused patterns of these SLOs. */
export async function refusedRegexes(check: RegexChecker, slos: readonly Slo[]): Promise<RegexVerdicts> {
  return check(slos.flatMap((s) => regexUses(s).map((u) => u.pattern)))
}

/**
 * Parsed specs with the SLOs whose regexes RE2 refuses moved to the errors
 * (at the pattern's position in its file's text, from `textOf`).
 */
export async function withRegexCheck(parsed: ParsedSpecs, check: RegexChecker, textOf: (file: string) => string | undefined): Promise<ParsedSpecs> {
  const refused = await refusedRegexes(check, parsed.slos)
  if (refused.size === 0) return parsed
  const bad = new Set(parsed.slos.filter((s) => regexUses(s).some((u) => refused.has(u.pattern))).map((s) => s.id))
  return { slos: parsed.slos.filter((s) => !bad.has(s.id)), errors: [...parsed.errors, ...regexErrors(parsed.slos, refused, textOf)] }
}

/**
 * The same check for a process without a store (`cairn validate` in CI): on a
 * throwaway embedded engine (ClickHouse's own RE2) in a temporary directory,
 * opened only when some SLO uses a regex (about 150 ms).
 */
export async function withEmbeddedRegexCheck(parsed: ParsedSpecs, textOf: (file: string) => string | undefined): Promise<ParsedSpecs> {
  if (!parsed.slos.some((s) => regexUses(s).length > 0)) return parsed
  const dir = await mkdtemp(join(tmpdir(), 'cairn-validate-'))
  try {
    const storage = await openStorage(configSchema.parse({ storage: { dataDir: join(dir, 'data') } }).storage)
    try {
      return await withRegexCheck(parsed, storageRegexChecker(storage), textOf)
    } finally {
      await storage.close()
    }
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

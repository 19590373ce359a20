import { LineCounter, isMap, isNode, parseAllDocuments, type Document } from 'yaml'
import { z } from 'zod'
import { parseDuration, type AlertPolicySpec, type BurnRateWindowSpec } from '../slo-engine/index.ts'

// Alert windows as data, in Sloth's `AlertWindows` format (apiVersion
// sloth.slok.dev/v1), so teams moving from Sloth keep their files: one policy
// per SLO period, read by `cairn rules --windows` and CAIRN_ALERT_WINDOWS.

/** A problem in a windows file, at file:line:column. */
export class WindowsFileError extends Error {
  constructor(readonly problems: string[]) {
    super(problems.join('\n'))
    this.name = 'WindowsFileError'
  }
}

const isWholeMinutes = (s: string) => {
  const seconds = parseDuration(s)
  return seconds !== undefined && seconds >= 60 && seconds % 60 === 0
}
const windowDuration = z.string().refine(isWholeMinutes, 'expected a duration of whole minutes such as 5m, 1h or 3d')

const windowSpec = z
  .object({
    errorBudgetPercent: z.number({ error: 'expected a number' }).gt(0, 'expected a percent above 0').max(100, 'expected a percent of at most 100'),
    shortWindow: windowDuration,
    longWindow: windowDuration,
  })
  .strict()
  .refine((w) => !isWholeMinutes(w.shortWindow) || !isWholeMinutes(w.longWindow) || parseDuration(w.shortWindow)! < parseDuration(w.longWindow)!, { message: 'shortWindow must be shorter than longWindow', path: ['shortWindow'] })

const pairSpec = z.object({ quick: windowSpec, slow: windowSpec }).strict()

const windowsDocument = z
  .object({
    apiVersion: z.literal('sloth.slok.dev/v1', { error: 'expected apiVersion sloth.slok.dev/v1' }),
    kind: z.literal('AlertWindows', { error: 'expected kind AlertWindows' }),
    spec: z.object({ sloPeriod: windowDuration, page: pairSpec, ticket: pairSpec }).strict(),
  })
  .strict()

function toSpec(w: z.infer<typeof windowSpec>): BurnRateWindowSpec {
  return { budgetPercent: w.errorBudgetPercent, shortWindowSeconds: parseDuration(w.shortWindow)!, longWindowSeconds: parseDuration(w.longWindow)! }
}

function position(doc: Document, lines: LineCounter, path: readonly PropertyKey[]): { line: number; col: number } {
  // The deepest node of the path that exists, so a missing key points at its parent.
  for (let depth = path.length; depth >= 0; depth--) {
    const node = doc.getIn(path.slice(0, depth) as (string | number)[], true)
    if (isNode(node) && node.range) return lines.linePos(node.range[0])
  }
  return { line: 1, col: 1 }
}

/** Policies by period (seconds) from the text of one windows file (several documents allowed). */
export function parseWindowsFile(text: string, file: string): Map<number, AlertPolicySpec> {
  const lines = new LineCounter()
  const problems: string[] = []
  const policies = new Map<number, AlertPolicySpec>()
  for (const doc of parseAllDocuments(text, { lineCounter: lines, prettyErrors: false })) {
    if (doc.errors.length > 0) {
      for (const e of doc.errors) {
        const at = lines.linePos(e.pos[0])
        problems.push(`${file}:${at.line}:${at.col}: ${e.message.split('\n')[0]}`)
      }
      continue
    }
    if (doc.contents === null) continue
    if (!isMap(doc.contents)) {
      const at = position(doc, lines, [])
      problems.push(`${file}:${at.line}:${at.col}: expected an AlertWindows document`)
      continue
    }
    const parsed = windowsDocument.safeParse(doc.toJS())
    if (!parsed.success) {
      for (const issue of parsed.error.issues) {
        const at = position(doc, lines, issue.path)
        const key = issue.path.join('.')
        problems.push(`${file}:${at.line}:${at.col}: ${key ? `${key}: ` : ''}${issue.message}`)
      }
      continue
    }
    const { spec } = parsed.data
    const period = parseDuration(spec.sloPeriod)!
    if (policies.has(period)) {
      const at = position(doc, lines, ['spec', 'sloPeriod'])
      problems.push(`${file}:${at.line}:${at.col}: spec.sloPeriod: a second AlertWindows for period ${spec.sloPeriod}`)
      continue
    }
    policies.set(period, {
      page: { quick: toSpec(spec.page.quick), slow: toSpec(spec.page.slow) },
      ticket: { quick: toSpec(spec.ticket.quick), slow: toSpec(spec.ticket.slow) },
    })
  }
  if (problems.length > 0) throw new WindowsFileError(problems)
  return policies
}

/** Merges the policies of several files; the same period twice is an error. */
export function mergeWindows(files: { file: string; policies: Map<number, AlertPolicySpec> }[]): Map<number, AlertPolicySpec> {
  const merged = new Map<number, AlertPolicySpec>()
  const from = new Map<number, string>()
  const problems: string[] = []
  for (const { file, policies } of files) {
    for (const [period, spec] of policies) {
      if (merged.has(period)) problems.push(`${file}: alert windows for a ${period / 86400}-day period are also defined in ${from.get(period)}`)
      merged.set(period, spec)
      from.set(period, file)
    }
  }
  if (problems.length > 0) throw new WindowsFileError(problems)
  return merged
}

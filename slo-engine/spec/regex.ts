import { isPair, isScalar, parseAllDocuments, visit, LineCounter } from 'yaml'
import type { Slo } from '../model.ts'
import type { SpecError } from './errors.ts'

// Regexes are matched by ClickHouse with RE2, which refuses some patterns
// JavaScript accepts (\cA, possessive and some Unicode classes, large
// repetitions). parse.ts only applies JavaScript's checks, which need no
// engine; this module finds the regexes of parsed SLOs and turns the engine's
// verdicts (slo-engine/regex-check.ts) into spec errors at the pattern's position.

/** One regex an SLO's SLI uses, and the model field that holds it (sli.spanName, sli.attributes[http.route]). */
export interface RegexUse {
  field: string
  pattern: string
}

/** Every re/nre matcher of the SLO's SLI, wherever it sits. */
export function regexUses(slo: Slo): RegexUse[] {
  const out: RegexUse[] = []
  const walk = (node: unknown, path: string): void => {
    if (Array.isArray(node)) {
      node.forEach((item, i) => walk(item, `${path}[${typeof item?.key === 'string' ? item.key : i}]`))
      return
    }
    if (typeof node !== 'object' || node === null) return
    const m = node as { op?: unknown; value?: unknown }
    if ((m.op === 're' || m.op === 'nre') && typeof m.value === 'string') out.push({ field: path, pattern: m.value })
    for (const [key, child] of Object.entries(node)) if (typeof child === 'object') walk(child, `${path}.${key}`)
  }
  walk(slo.sli, 'sli')
  return out
}

/** Pattern → why RE2 refuses it. */
export type RegexVerdicts = ReadonlyMap<string, string>

/**
 * Spec errors for the SLOs using a pattern RE2 refuses, at the pattern's
 * position in `text` (its file) when found there, else at the SLO's.
 */
export function regexErrors(slos: readonly Slo[], refused: RegexVerdicts, textOf: (file: string) => string | undefined): SpecError[] {
  const errors: SpecError[] = []
  for (const slo of slos) {
    for (const use of regexUses(slo)) {
      const reason = refused.get(use.pattern)
      if (reason === undefined) continue
      const found = locate(textOf(slo.source.file), use.pattern, slo.source.line)
      const { line, column } = found ?? slo.source
      const where = found?.path ?? `SLO ${slo.id} ${use.field}`
      errors.push({ file: slo.source.file, line, column, message: `${where}: RE2 (ClickHouse's regex engine) refuses the pattern ${JSON.stringify(use.pattern)}: ${reason}` })
    }
  }
  return errors
}

/** The first re/nre scalar holding `pattern` at or after line `fromLine` (the SLO's document), with its key path. */
function locate(text: string | undefined, pattern: string, fromLine: number): { line: number; column: number; path: string } | undefined {
  if (text === undefined) return undefined
  const lines = new LineCounter()
  let found: { line: number; column: number; path: string } | undefined
  for (const doc of parseAllDocuments(text, { lineCounter: lines }) as ReturnType<typeof parseAllDocuments> & unknown[]) {
    visit(doc, {
      Pair(_, pair, ancestors) {
        if (found || !isScalar(pair.key) || !isScalar(pair.value)) return
        if ((pair.key.value !== 're' && pair.key.value !== 'nre') || pair.value.value !== pattern || !pair.value.range) return
        const pos = lines.linePos(pair.value.range[0])
        if (pos.line < fromLine) return
        const keys = ancestors.filter(isPair).map((p) => (isScalar(p.key) ? String(p.key.value) : '?'))
        found = { line: pos.line, column: pos.col, path: [...keys, String(pair.key.value)].join('.') }
        return visit.BREAK
      },
    })
    if (found) break
  }
  return found
}

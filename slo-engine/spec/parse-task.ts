// Spec parsing as a parse-worker task (isolation/pool.ts): the API checks the
// size limits of large bodies and parses them off the main thread (even the
// lexer's pass over 200 KB takes a few hundred ms on a busy machine). Slo is
// plain data, so the result crosses threads as it is.

import { parseSloDocuments, type ParsedSpecs, type SpecParseOptions } from './parse.ts'
import { specSizeProblem, textPosition, type SpecLimitExceeded } from './yaml-limits.ts'

/** A spec over a limit, with where: the API answers it as 413 (size) or 400 (depth) instead of parsing. */
export interface SpecOverLimit extends SpecLimitExceeded {
  line: number
  column: number
}

export type CheckedSpecs = { overLimit: SpecOverLimit } | { parsed: ParsedSpecs }

/** The limits first, then the parse. */
export function checkAndParseSpecs(text: string, file: string, options?: SpecParseOptions): CheckedSpecs {
  const problem = specSizeProblem(text)
  if (problem) return { overLimit: { ...problem, ...textPosition(text, problem.offset) } }
  return { parsed: parseSloDocuments(text, file, options) }
}

/** Options a worker can take: functions do not cross threads (see notifyUrlsChecked). */
export type WorkerParseOptions = Omit<SpecParseOptions, 'checkNotifyUrl'>

export function parseSpecsTask(input: { text: string; file: string; options?: WorkerParseOptions }): { value: CheckedSpecs } {
  return { value: checkAndParseSpecs(input.text, input.file, input.options) }
}

/**
 * The notification-URL check for specs parsed in a worker, which cannot take
 * the check (a function): SLOs naming a refused URL are refused, with the
 * error at the SLO (the document is not at hand to point at the URL itself).
 */
export function notifyUrlsChecked(parsed: ParsedSpecs, check: SpecParseOptions['checkNotifyUrl']): ParsedSpecs {
  if (!check) return parsed
  const errors = [...parsed.errors]
  const slos = parsed.slos.filter((slo) => {
    const refusals = (slo.alerting?.notify ?? []).flatMap((target, i) => {
      const why = target.url === undefined ? undefined : check(target.url)
      return why === undefined ? [] : [`spec.alerting.notify[${i}].url: ${why}`]
    })
    for (const message of refusals) errors.push({ file: slo.source.file, line: slo.source.line, column: slo.source.column, message })
    return refusals.length === 0
  })
  return { slos, errors }
}

/** Where the task is, for WorkerPool.run. */
export const SPEC_PARSE_TASK = { module: import.meta.url, fn: 'parseSpecsTask' } as const

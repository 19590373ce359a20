// Spec parsing as a parse-worker task (isolation/pool.ts): the API parses
// large bodies off the main thread. Slo is plain data, so the result crosses
// threads as it is.

import { parseSloDocuments, type ParsedSpecs, type SpecParseOptions } from './parse.ts'

export function parseSpecsTask(input: { text: string; file: string; options?: SpecParseOptions }): { value: ParsedSpecs } {
  return { value: parseSloDocuments(input.text, input.file, input.options) }
}

/** Where the task is, for WorkerPool.run. */
export const SPEC_PARSE_TASK = { module: import.meta.url, fn: 'parseSpecsTask' } as const

import { expect } from 'vitest'
import { readLatestEvaluations, type SloEvaluation } from '../../slo-engine/index.ts'
import type { Storage } from '../../storage/index.ts'

/** The SLO's newest stored evaluation; fails the test, naming the SLO, when there is none. */
export async function latestEvaluation(storage: Storage, id: string): Promise<SloEvaluation> {
  const e = (await readLatestEvaluations(storage, [id])).get(id)
  expect(e, id).toBeDefined()
  return e!
}

import type { Storage } from '../../storage/index.ts'
import type { Slo } from '../model.ts'
import { ZERO } from '../rollup/cumulative.ts'
import { loadRollupState, pointKey, readCumulative, sliHash } from '../rollup/store.ts'
import { SAMPLE_LADDER } from './sample.ts'
import { overviewStatement, SAMPLE_BLOCK_ROWS, type AttributionRange, type OverviewRow, type Source } from './sql.ts'

// Read 1 of attribution (docs/attribution.md, "How it is read"): the SLO's
// exact events and bad events in the range, and what each sample step would
// read. Counting the raw rows reads four columns of every row: a week of a
// busy service is billions. So the whole minutes the SLO's rollups hold are
// taken from them (two running sums: the engine's own counts), and only the
// rest of the range (its partial first and last minutes, minutes the engine
// has not rolled up yet) is counted raw. For the rolled-up minutes the sample
// steps are estimated: their events read as dense blocks, their bad events as
// spread over every block (a burst in them is sampled like the rest).

type Read = <T>(sql: string, params: Record<string, unknown>) => Promise<T[]>

interface RolledUp {
  fromSeconds: number
  toSeconds: number
  total: number
  bad: number
}

/** The whole minutes of the range the SLO's rollups (of its current definition) hold, with their counts; undefined when none. */
async function rolledUp(slo: Slo, range: AttributionRange, read: Read): Promise<RolledUp | undefined> {
  // The rollup readers take Storage and use its query only: the bounded read stands in for it.
  const storage = { query: read } as Pick<Storage, 'query'> as Storage
  const state = (await loadRollupState(storage)).get(slo.id)
  if (!state || state.sliHash !== sliHash(slo)) return undefined
  const fromSeconds = Math.max(Math.ceil(range.fromMs / 60_000) * 60, state.epochSeconds)
  const toSeconds = Math.min(Math.floor(range.toMs / 60_000) * 60, state.computedToSeconds)
  if (toSeconds <= fromSeconds) return undefined
  const sums = await readCumulative(storage, new Map([[slo.id, state.sliHash]]), [fromSeconds - 60, toSeconds - 60])
  const at = (minute: number) => (minute < state.epochSeconds ? ZERO : sums.get(pointKey(slo.id, minute)))
  const [start, end] = [at(fromSeconds - 60), at(toSeconds - 60)]
  if (!start || !end) return undefined
  const total = Math.max(0, end.total - start.total)
  return { fromSeconds, toSeconds, total, bad: Math.max(0, total - Math.max(0, end.good - start.good)) }
}

/** The sample steps of the rolled-up minutes: events in dense blocks, bad events in as many blocks as possible. */
function estimatedLadder(r: RolledUp): OverviewRow[] {
  const blocks = Math.ceil(r.total / SAMPLE_BLOCK_ROWS)
  return SAMPLE_LADDER.map((k) => ({ k, total: r.total / k, bad: r.bad / k, blocks: Math.ceil(blocks / k), badBlocks: Math.ceil(Math.min(r.bad, blocks) / k) }))
}

/** Per sample step: events, bad events and blocks of the range (k = 1: the exact counts). */
export async function rangeOverview(slo: Slo, source: Source, range: AttributionRange, read: Read): Promise<OverviewRow[]> {
  const inner = await rolledUp(slo, range, read)
  const st = overviewStatement(source, range, SAMPLE_LADDER, inner)
  const raw = await read<OverviewRow>(st.sql, st.params)
  if (!inner) return raw
  const rawOf = (k: number) => raw.find((r) => r.k === k) ?? { k, total: 0, bad: 0, blocks: 0, badBlocks: 0 }
  return estimatedLadder(inner).map((e) => {
    const r = rawOf(e.k)
    // k = 1 is exact: its events and bad events are the rollups' plus the raw rows'.
    return { k: e.k, total: e.total + r.total, bad: e.bad + r.bad, blocks: e.blocks + r.blocks, badBlocks: e.badBlocks + r.badBlocks }
  })
}

import type { QueryParams } from '../../storage/index.ts'
import type { Slo } from '../model.ts'
import { rankDimensions, type AttributedDimension, type DimensionSource } from './rank.ts'
import { candidateKeysStatement, isAttributable, sourceOf, valuesStatement, type AttributionRange, type DimensionKey, type KeyOrigin } from './sql.ts'

// Where an SLO's budget went in a range: per attribute, the values that
// burnt it, ranked (rank.ts), from two bounded reads (sql.ts): the keys on a
// sample of bad events, then one pass over the range for every dimension.

/** A bounded read (the API's telemetry reads: read-only, time-limited, queued). */
export type AttributionQuery = <T>(sql: string, params: QueryParams) => Promise<T[]>

export const ATTRIBUTION_LIMITS = {
  /** Bad events whose attributes are scanned for candidate keys. */
  sampleBadEvents: 100_000,
  /** Automatic candidates: at most this many keys, the ones set on the most bad events. */
  maxCandidateKeys: 12,
  /** A key with more distinct values among the sampled bad events is an identifier, not a dimension (request ids, urls). */
  maxCandidateValues: 200,
  /** A key set on fewer of the sampled bad events than this share is not a candidate. */
  minCandidateCoverage: 0.05,
  /** Values read per dimension (the most bad events first); the score is computed over them. */
  maxValuesRead: 50,
  /** Values reported per dimension. */
  maxValues: 10,
  /** Discovered dimensions with a lower concentration are not reported: they do not explain the burn. */
  minConcentration: 0.1,
  /** Dimensions named by the SLO's spec and the request together. */
  maxExplicitKeys: 20,
} as const

export interface AttributionRequest {
  range: AttributionRange
  /** Only these dimensions (no discovery); undefined: the spec's `attribution` keys plus discovered ones. */
  dimensions?: readonly string[]
}

export interface Attribution {
  sloId: string
  sliKind: 'spans' | 'logs'
  fromMs: number
  toMs: number
  total: number
  bad: number
  /** Bad ÷ total in the range (0 without events). */
  errorRatio: number
  /** What the objective allows: 1 - objective. */
  allowedErrorRatio: number
  dimensions: AttributedDimension[]
}

export class NotAttributableError extends Error {}

interface CandidateRow {
  key: string
  distinctValues: number
  events: number
  /** Sampled bad events where the key is a span (or log) attribute rather than a resource one. */
  ownEvents: number
}

const originOf = (r: CandidateRow): KeyOrigin => (r.ownEvents === r.events ? 'own' : r.ownEvents === 0 ? 'resource' : 'both')

async function discoverKeys(query: AttributionQuery, source: ReturnType<typeof sourceOf>, range: AttributionRange, skip: ReadonlySet<string>): Promise<DimensionKey[]> {
  const L = ATTRIBUTION_LIMITS
  const st = candidateKeysStatement(source, range, L.sampleBadEvents)
  const rows = await query<CandidateRow>(st.sql, st.params)
  const sampled = Math.max(0, ...rows.map((r) => r.events))
  return rows
    .filter((r) => !skip.has(r.key) && r.key !== 'service.name' && r.distinctValues <= L.maxCandidateValues && r.events >= sampled * L.minCandidateCoverage)
    .slice(0, L.maxCandidateKeys)
    .map((r) => ({ key: r.key, origin: originOf(r) }))
}

export async function attributeBurn(slo: Slo, req: AttributionRequest, query: AttributionQuery): Promise<Attribution> {
  if (!isAttributable(slo)) throw new NotAttributableError(`SLO ${slo.id} has a ${slo.sli.kind} SLI: attribution reads span and log SLIs only`)
  const source = sourceOf(slo)
  const keys = new Map<string, DimensionSource>()
  // Named keys are read from both maps; discovered ones from the map they were found in.
  const dims: DimensionKey[] = []
  const add = (key: string, origin: KeyOrigin, source: DimensionSource) => {
    keys.set(key, source)
    dims.push({ key, origin })
  }
  if (req.dimensions) for (const k of req.dimensions) add(k, 'both', 'query')
  else {
    for (const k of slo.attribution ?? []) add(k, 'both', 'spec')
    for (const k of await discoverKeys(query, source, req.range, new Set(keys.keys()))) add(k.key, k.origin, 'discovered')
  }
  const st = valuesStatement(source, req.range, dims, ATTRIBUTION_LIMITS.maxValuesRead)
  const rows = await query<{ key: string; value: string; total: number; bad: number; examples: unknown[] }>(st.sql, st.params)
  const ranked = rankDimensions(rows, keys, slo.sli.kind === 'logs', ATTRIBUTION_LIMITS)
  return {
    sloId: slo.id,
    sliKind: slo.sli.kind,
    fromMs: req.range.fromMs,
    toMs: req.range.toMs,
    total: ranked.total,
    bad: ranked.bad,
    errorRatio: ranked.total > 0 ? ranked.bad / ranked.total : 0,
    allowedErrorRatio: 1 - slo.objectivePercent / 100,
    dimensions: ranked.dimensions,
  }
}

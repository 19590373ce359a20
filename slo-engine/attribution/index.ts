export { attributeBurn, ATTRIBUTION_LIMITS, isAttributable, NotAttributableError, type Attribution, type AttributionQuery, type AttributionReadOptions, type AttributionRequest } from './attribute.ts'
export type { AttributedDimension, AttributedValue, DimensionSource, LogExample } from './rank.ts'
export type { Sampling, SampleRead } from './sample.ts'
export { burnExplainer, burnSummary } from './summary.ts'

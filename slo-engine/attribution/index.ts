export { attributeBurn, ATTRIBUTION_LIMITS, NotAttributableError, type Attribution, type AttributionQuery, type AttributionRequest } from './attribute.ts'
export type { AttributedDimension, AttributedValue, DimensionSource, LogExample } from './rank.ts'
export { isAttributable } from './sql.ts'
export { burnExplainer, burnSummary } from './summary.ts'

// Durations as written in specs and rules: Prometheus style, one or more
// <number><unit> parts ("5m", "1h30m", "30d", "2w"). Months and years have no
// fixed length and are not durations here (calendar windows handle them).

const UNIT_SECONDS: Record<string, number> = { ms: 0.001, s: 1, m: 60, h: 3600, d: 86400, w: 604800, y: 31536000 }
const DURATION = /^(?:\d+(?:ms|s|m|h|d|w|y))+$/
const PART = /(\d+)(ms|s|m|h|d|w|y)/g

/** Seconds in a duration string, or undefined when it is not one. */
export function parseDuration(text: string): number | undefined {
  if (!DURATION.test(text)) return undefined
  let seconds = 0
  for (const [, n, unit] of text.matchAll(PART)) seconds += Number(n) * UNIT_SECONDS[unit!]!
  return seconds
}

/**
 * The canonical short form: the largest of d, h, m, s that divides the
 * duration exactly (86400 → "1d", 5400 → "90m", 21600 → "6h"). Used as the
 * key of burn-rate windows everywhere, and as Prometheus range selectors.
 */
export function formatDuration(seconds: number): string {
  for (const [unit, size] of [['d', 86400], ['h', 3600], ['m', 60]] as const) {
    if (seconds >= size && seconds % size === 0) return `${seconds / size}${unit}`
  }
  return `${seconds}s`
}

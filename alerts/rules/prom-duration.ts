// Durations as Prometheus prints them (model.Duration): years and weeks only
// when exact, then days, hours, minutes, seconds ("4w" for 28 days, "30d",
// "1d12h"). Sloth names its recording rules this way (slo:sli_error:ratio_rate4w),
// so cairn does too, for dashboards built on those names.

const UNITS: [string, number, boolean][] = [
  ['y', 365 * 86400, true],
  ['w', 7 * 86400, true],
  ['d', 86400, false],
  ['h', 3600, false],
  ['m', 60, false],
  ['s', 1, false],
]

export function formatPromDuration(seconds: number): string {
  let rest = Math.round(seconds)
  if (rest <= 0) return '0s'
  let text = ''
  for (const [unit, size, exactOnly] of UNITS) {
    if (exactOnly && rest % size !== 0) continue
    const n = Math.floor(rest / size)
    if (n > 0) {
      text += `${n}${unit}`
      rest -= n * size
    }
  }
  return text
}

import type { CalendarPeriod } from '../model.ts'

// Calendar periods in an IANA time zone, with Intl only (no time zone data of
// our own): the start of the day (00:00), ISO week (Monday 00:00), month,
// quarter or year that contains an instant, as a Unix time.

interface LocalDate {
  year: number
  month: number
  day: number
  weekday: number // 1 = Monday … 7 = Sunday
}

const WEEKDAYS: Record<string, number> = { Mon: 1, Tue: 2, Wed: 3, Thu: 4, Fri: 5, Sat: 6, Sun: 7 }
const formatters = new Map<string, Intl.DateTimeFormat>()

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone)
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric', weekday: 'short' })
    formatters.set(timeZone, f)
  }
  return f
}

function parts(ms: number, timeZone: string): Record<string, string> {
  return Object.fromEntries(formatter(timeZone).formatToParts(new Date(ms)).map((p) => [p.type, p.value]))
}

function localDate(ms: number, timeZone: string): LocalDate {
  const p = parts(ms, timeZone)
  return { year: Number(p.year), month: Number(p.month), day: Number(p.day), weekday: WEEKDAYS[p.weekday!]! }
}

/** The zone's offset from UTC at an instant, in ms (east positive). */
function offsetMs(ms: number, timeZone: string): number {
  const p = parts(ms, timeZone)
  const wall = Date.UTC(Number(p.year), Number(p.month) - 1, Number(p.day), Number(p.hour), Number(p.minute), Number(p.second))
  return wall - Math.floor(ms / 1000) * 1000
}

/** The instant a local wall-clock midnight happens in the zone (or the first instant after, in a DST gap). */
function localMidnightMs(year: number, month: number, day: number, timeZone: string): number {
  const wall = Date.UTC(year, month - 1, day)
  let guess = wall - offsetMs(wall, timeZone)
  guess = wall - offsetMs(guess, timeZone)
  // In a gap (midnight skipped) the wall time never happens: take the first instant of the day that does.
  const back = localDate(guess, timeZone)
  if (back.day !== new Date(wall).getUTCDate()) guess += 3600_000
  return guess
}

/** Unix seconds at which the calendar period containing `seconds` started, in `timeZone`. */
export function periodStartSeconds(seconds: number, period: CalendarPeriod, timeZone: string): number {
  const d = localDate(seconds * 1000, timeZone)
  let { year, month, day } = d
  if (period === 'week') {
    const monday = new Date(Date.UTC(year, month - 1, day - (d.weekday - 1)))
    ;[year, month, day] = [monday.getUTCFullYear(), monday.getUTCMonth() + 1, monday.getUTCDate()]
  } else if (period === 'month') day = 1
  else if (period === 'quarter') [month, day] = [Math.floor((month - 1) / 3) * 3 + 1, 1]
  else if (period === 'year') [month, day] = [1, 1]
  return Math.floor(localMidnightMs(year, month, day, timeZone) / 1000)
}

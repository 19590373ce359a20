import { describe, expect, it } from 'vitest'
import { reportPeriods } from '../../reports/index.ts'

// Report periods: ISO weeks from Monday 00:00 UTC, months from the 1st; the
// last one complete at a time, and the one before it.

const iso = (r: { startMs: number; endMs: number }) => [new Date(r.startMs).toISOString().slice(0, 10), new Date(r.endMs).toISOString().slice(0, 10)]
const at = (text: string) => Date.parse(text)

describe('reportPeriods', () => {
  it('takes the last complete ISO week, whatever the day (Sunday included)', () => {
    for (const t of ['2026-12-02T05:00:00Z', '2026-11-30T00:00:00Z', '2026-12-06T23:59:59.999Z']) {
      const p = reportPeriods('week', at(t))
      expect([iso(p.current), iso(p.previous)], t).toEqual([['2026-11-23', '2026-11-30'], ['2026-11-16', '2026-11-23']])
    }
    // A week across the new year (ISO week 53 of 2026 starts on Monday 28 December).
    expect(iso(reportPeriods('week', at('2027-01-05T00:00:00Z')).current)).toEqual(['2026-12-28', '2027-01-04'])
  })

  it('takes the last complete month, across a year and a leap February', () => {
    expect(iso(reportPeriods('month', at('2027-01-01T00:00:00Z')).current)).toEqual(['2026-12-01', '2027-01-01'])
    const march = reportPeriods('month', at('2028-03-15T12:00:00Z'))
    expect([iso(march.current), iso(march.previous)]).toEqual([['2028-02-01', '2028-03-01'], ['2028-01-01', '2028-02-01']])
    expect(march.current.endMs - march.current.startMs).toBe(29 * 86_400_000)
  })
})

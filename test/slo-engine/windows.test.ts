import { describe, expect, it } from 'vitest'
import { periodStartSeconds } from '../../slo-engine/evaluate/calendar.ts'
import { evaluationWindows, horizonSeconds } from '../../slo-engine/evaluate/windows.ts'
import { parseSloDocuments } from '../../slo-engine/index.ts'

const at = (iso: string) => Date.parse(iso) / 1000
const iso = (seconds: number) => new Date(seconds * 1000).toISOString()

describe('calendar period starts', () => {
  it.each([
    ['day', 'Europe/Berlin', '2025-03-30T12:00:00Z', '2025-03-29T23:00:00.000Z'], // the day summer time starts: midnight was still +01:00
    ['day', 'Europe/Berlin', '2025-03-30T22:30:00Z', '2025-03-30T22:00:00.000Z'], // 00:30 on the 31st, +02:00
    ['week', 'Europe/Berlin', '2025-03-30T12:00:00Z', '2025-03-23T23:00:00.000Z'], // Sunday: the week began on Monday the 24th
    ['week', 'UTC', '2025-03-24T00:00:00Z', '2025-03-24T00:00:00.000Z'], // Monday 00:00 is its own week's start
    ['month', 'Europe/Berlin', '2025-03-01T00:30:00Z', '2025-02-28T23:00:00.000Z'],
    ['month', 'Europe/Berlin', '2025-02-28T22:59:00Z', '2025-01-31T23:00:00.000Z'],
    ['month', 'America/New_York', '2025-11-03T03:00:00Z', '2025-11-01T04:00:00.000Z'], // 22:00 on 2 Nov (EST); the 1st was EDT
    ['quarter', 'Europe/Berlin', '2025-05-15T10:00:00Z', '2025-03-31T22:00:00.000Z'],
    ['year', 'Asia/Tokyo', '2025-06-01T00:00:00Z', '2024-12-31T15:00:00.000Z'],
    ['year', 'Asia/Kathmandu', '2025-01-01T00:00:00Z', '2024-12-31T18:15:00.000Z'], // +05:45
  ] as const)('%s in %s at %s starts at %s', (period, zone, now, start) => {
    expect(iso(periodStartSeconds(at(now), period, zone))).toBe(start)
  })
})

describe('evaluation windows', () => {
  const [rolling, calendar] = parseSloDocuments(
    `apiVersion: cairn/v1
kind: SLO
metadata: { name: a, service: s }
spec: { objective: 99, window: 28d, sli: { spans: { bad: error } } }
---
apiVersion: cairn/v1
kind: SLO
metadata: { name: b, service: s }
spec: { objective: 99, window: { calendar: month, timeZone: UTC }, sli: { spans: { bad: error } } }
`,
    'x.yaml',
  ).slos
  it('are the standard burn-rate windows, the extra ones and the SLO window', () => {
    expect(evaluationWindows(rolling!, at('2025-03-10T00:00:00Z'), [4 * 3600, 3600, 90])).toEqual([
      { key: '5m', seconds: 300 },
      { key: '30m', seconds: 1800 },
      { key: '1h', seconds: 3600 },
      { key: '2h', seconds: 7200 },
      { key: '6h', seconds: 21600 },
      { key: '1d', seconds: 86400 },
      { key: '3d', seconds: 259200 },
      { key: '4h', seconds: 14400 },
      { key: 'window', seconds: 28 * 86400 },
    ])
  })
  it('reach back to the longest of them (a calendar window from its period start)', () => {
    expect(horizonSeconds(rolling!, at('2025-03-10T00:00:00Z'))).toBe(28 * 86400)
    expect(horizonSeconds(calendar!, at('2025-03-10T00:00:00Z'))).toBe(9 * 86400)
    expect(horizonSeconds(calendar!, at('2025-03-01T06:00:00Z'))).toBe(3 * 86400)
  })
})

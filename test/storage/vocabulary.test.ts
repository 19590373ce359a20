import { describe, expect, it } from 'vitest'
import { SEVERITY_NUMBERS, severityNumberOf, SPAN_KINDS, STATUS_CODES } from '../../storage/index.ts'

describe('the OTLP vocabulary of the exporter tables', () => {
  it('lists span kinds and status codes in OTLP number order, as pdata names them', () => {
    expect(SPAN_KINDS.indexOf('Server')).toBe(2) // SPAN_KIND_SERVER = 2
    expect(SPAN_KINDS.indexOf('Consumer')).toBe(5)
    expect(STATUS_CODES.indexOf('Error')).toBe(2) // STATUS_CODE_ERROR = 2
  })

  it('reads level names in any case, warning as warn, and nothing else', () => {
    expect(['TRACE', 'debug', 'Info', 'warn', 'WARNING', 'error', 'fatal'].map(severityNumberOf)).toEqual([1, 5, 9, 13, 13, 17, 21])
    for (const bad of ['', 'critical', 'toString', '__proto__', '9']) expect(severityNumberOf(bad), bad).toBeUndefined()
    expect(Object.values(SEVERITY_NUMBERS)).toEqual([1, 5, 9, 13, 17, 21])
  })
})

import { readFileSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ROOT_CONTEXT, trace, TraceFlags } from '@opentelemetry/api'
import { SeverityNumber } from '@opentelemetry/api-logs'
import { LoggerProvider, SimpleLogRecordProcessor, type LogRecordExporter } from '@opentelemetry/sdk-logs'
import { resourceFromAttributes } from '@opentelemetry/resources'
import { OTLPLogExporter as JsonLogExporter } from '@opentelemetry/exporter-logs-otlp-http'
import { OTLPLogExporter as ProtoLogExporter } from '@opentelemetry/exporter-logs-otlp-proto'
import { openHarness, type Harness, type RunningCollector } from './harness.ts'
import { peersPath } from '../support/peers.ts'

let h: Harness
let c: RunningCollector
beforeAll(async () => {
  h = await openHarness()
  c = await h.startCollector()
})
afterAll(async () => {
  await c.stop()
  await h.close()
})

const EXAMPLES = peersPath('otlp', 'examples')

interface LogRow {
  ts: string
  TimestampTime: string
  TraceId: string
  SpanId: string
  TraceFlags: number
  SeverityText: string
  SeverityNumber: number
  ServiceName: string
  Body: string
  ResourceSchemaUrl: string
  ResourceAttributes: Record<string, string>
  ScopeSchemaUrl: string
  ScopeName: string
  ScopeVersion: string
  ScopeAttributes: Record<string, string>
  LogAttributes: Record<string, string>
  EventName: string
}

const logsOf = (service: string) =>
  h.storage.query<LogRow>(
    `SELECT * EXCEPT (Timestamp), toString(toUnixTimestamp64Nano(Timestamp)) AS ts FROM otel_logs WHERE ServiceName = {s:String} ORDER BY Timestamp, Body`,
    { s: service },
  )

const post = (body: string | Buffer, type = 'application/json') => fetch(`${c.url}/v1/logs`, { method: 'POST', headers: { 'content-type': type }, body })

describe('OTLP/HTTP logs from the OpenTelemetry SDK', () => {
  it.each([
    ['JSON', (url: string) => new JsonLogExporter({ url })],
    ['protobuf', (url: string) => new ProtoLogExporter({ url })],
  ])('stores every mapped field of log records sent as %s', async (encoding, makeExporter: (url: string) => LogRecordExporter) => {
    const service = `payments-${encoding}`
    const provider = new LoggerProvider({
      resource: resourceFromAttributes({ 'service.name': service, 'k8s.pod.name': 'payments-7d9' }),
      processors: [new SimpleLogRecordProcessor({ exporter: makeExporter(`${c.url}/v1/logs`) })],
    })
    const logger = provider.getLogger('payments-logger', '2.0.1')
    const context = trace.setSpanContext(ROOT_CONTEXT, { traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7', traceFlags: TraceFlags.SAMPLED })
    logger.emit({
      timestamp: new Date('2024-05-01T10:00:00.250Z'),
      severityNumber: SeverityNumber.ERROR,
      severityText: 'ERROR',
      body: 'card declined\tcode=51',
      attributes: { 'payment.id': 'p-1', attempt: 3, amount: 12.5 },
      context,
      eventName: 'payment.failed',
    })
    logger.emit({ observedTimestamp: new Date('2024-05-01T10:00:01.000Z'), severityNumber: SeverityNumber.INFO, body: { status: 'ok', items: 2 } })
    await provider.forceFlush()
    await provider.shutdown()
    const rows = await logsOf(service)
    expect(rows).toHaveLength(2)
    expect(rows[0]).toMatchObject({
      ts: '1714557600250000000',
      TimestampTime: '2024-05-01 10:00:00',
      TraceId: '4bf92f3577b34da6a3ce929d0e0e4736',
      SpanId: '00f067aa0ba902b7',
      TraceFlags: 1,
      SeverityText: 'ERROR',
      SeverityNumber: 17,
      ServiceName: service,
      Body: 'card declined\tcode=51',
      ScopeName: 'payments-logger',
      ScopeVersion: '2.0.1',
      LogAttributes: { 'payment.id': 'p-1', attempt: '3', amount: '12.5' },
      EventName: 'payment.failed',
    })
    expect(rows[0]!.ResourceAttributes).toMatchObject({ 'service.name': service, 'k8s.pod.name': 'payments-7d9' })
    // A map body is JSON with sorted keys.
    expect(rows[1]).toMatchObject({ TraceId: '', SpanId: '', SeverityNumber: 9, Body: '{"items":2,"status":"ok"}' })
  })
})

describe('OTLP/JSON example payloads', () => {
  it('ingests logs.json and events.json verbatim', async () => {
    for (const file of ['logs.json', 'events.json']) {
      const res = await post(readFileSync(`${EXAMPLES}/${file}`))
      expect(res.status, file).toBe(200)
    }
    const rows = await logsOf('my.service')
    const log = rows.find((r) => r.Body === 'Example log record')!
    expect(log).toMatchObject({
      ts: '1544712660300000000',
      TraceId: '5b8efff798038103d269b633813fc60c',
      SpanId: 'eee19b7ec3c1b174',
      SeverityText: 'Information',
      SeverityNumber: 10,
      ScopeName: 'my.library',
      ScopeVersion: '1.0.0',
      ScopeAttributes: { 'my.scope.attribute': 'some scope attribute' },
      LogAttributes: {
        'string.attribute': 'some string',
        'boolean.attribute': 'true',
        'int.attribute': '10',
        'double.attribute': '637.704',
        'array.attribute': '["many","values"]',
        'map.attribute': '{"some.map.key":"some value"}',
      },
    })
    const event = rows.find((r) => r.EventName === 'browser.page_view')!
    expect(event.Body).toBe(
      '{"referrer":"https://wwww.google.com","title":"Free Online GUID Generator","type":0,"url":"https://www.guidgenerator.com/online-guid-generator.aspx"}',
    )
    expect(event.LogAttributes).toEqual({ 'event.attribute': 'some event attribute' })
  })
})

describe('attribute values of every AnyValue kind', () => {
  it('renders them as the exporter does', async () => {
    const value = (v: object) => v
    const attrs = [
      ['bytes', value({ bytesValue: Buffer.from([0, 1, 254, 255]).toString('base64') })],
      ['int64', value({ intValue: '-9223372036854775808' })],
      ['int-number', value({ intValue: 42 })],
      ['double-exp', value({ doubleValue: 1.5e-9 })],
      ['double-neg-zero', value({ doubleValue: '-0' })],
      ['double-nan', value({ doubleValue: 'NaN' })],
      ['empty', value({})],
      ['nested', value({ kvlistValue: { values: [{ key: 'z', value: { arrayValue: { values: [{ intValue: '9007199254740993' }, { bytesValue: 'AQI=' }, { boolValue: false }, {}] } } }, { key: 'a<b>&', value: { doubleValue: 2 } }] } })],
      ['nan-inside', value({ arrayValue: { values: [{ doubleValue: 'NaN' }] } })],
    ].map(([key, v]) => ({ key, value: v }))
    const body = { resourceLogs: [{ resource: { attributes: [{ key: 'service.name', value: { stringValue: 'anyvalue' } }] }, schemaUrl: 'https://opentelemetry.io/schemas/1.26.0', scopeLogs: [{ schemaUrl: 'https://example.com/scope', logRecords: [{ timeUnixNano: '1714557600000000000', attributes: attrs, flags: 257 }, { observedTimeUnixNano: 1714557601000000000, body: { stringValue: 'observed only' } }] }] }] }
    expect((await post(JSON.stringify(body))).status).toBe(200)
    const [row] = await logsOf('anyvalue')
    expect(row!.LogAttributes).toEqual({
      bytes: 'AAH+/w==',
      int64: '-9223372036854775808',
      'int-number': '42',
      'double-exp': '1.5e-9',
      'double-neg-zero': '-0',
      'double-nan': 'json: unsupported value: NaN',
      empty: '',
      nested: '{"a<b>&":2,"z":[9007199254740993,"AQI=",false,null]}',
      'nan-inside': '',
    })
    expect(row).toMatchObject({ ResourceSchemaUrl: 'https://opentelemetry.io/schemas/1.26.0', ScopeSchemaUrl: 'https://example.com/scope', TraceFlags: 1 })
    // Without a timestamp the observed time stands in.
    expect((await logsOf('anyvalue'))[1]).toMatchObject({ ts: '1714557601000000000', Body: 'observed only' })
  })
})

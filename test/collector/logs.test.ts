import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { ROOT_CONTEXT, trace, TraceFlags } from '@opentelemetry/api'
import { SeverityNumber } from '@opentelemetry/api-logs'
import { LoggerProvider, SimpleLogRecordProcessor, type LogRecordExporter } from '@opentelemetry/sdk-logs'
import { resourceFromAttributes } from '@opentelemetry/resources'
import { OTLPLogExporter as JsonLogExporter } from '@opentelemetry/exporter-logs-otlp-http'
import { OTLPLogExporter as ProtoLogExporter } from '@opentelemetry/exporter-logs-otlp-proto'
import { metricValue, sharedCollector } from './harness.ts'
import * as P from './proto-writer.ts'
import { peersPath } from '../support/peers.ts'
import { requirePeers } from '../support/needs.ts'

const shared = sharedCollector()

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
  shared.h.storage.query<LogRow>(
    `SELECT * EXCEPT (Timestamp), toString(toUnixTimestamp64Nano(Timestamp)) AS ts FROM otel_logs WHERE ServiceName = {s:String} ORDER BY Timestamp, Body`,
    { s: service },
  )

const post = (body: string | Buffer, type = 'application/json') => fetch(`${shared.c.url}/v1/logs`, { method: 'POST', headers: { 'content-type': type }, body })

describe('OTLP/HTTP logs from the OpenTelemetry SDK', () => {
  it.each([
    ['JSON', (url: string) => new JsonLogExporter({ url })],
    ['protobuf', (url: string) => new ProtoLogExporter({ url })],
  ])('stores every mapped field of log records sent as %s', async (encoding, makeExporter: (url: string) => LogRecordExporter) => {
    const service = `payments-${encoding}`
    const provider = new LoggerProvider({
      resource: resourceFromAttributes({ 'service.name': service, 'k8s.pod.name': 'payments-7d9' }),
      processors: [new SimpleLogRecordProcessor({ exporter: makeExporter(`${shared.c.url}/v1/logs`) })],
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

requirePeers().describe('OTLP/JSON example payloads', () => {
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

describe('hand-made protobuf log records', () => {
  const postProto = (body: Buffer) => fetch(`${shared.c.url}/v1/logs`, { method: 'POST', headers: { 'content-type': 'application/x-protobuf' }, body })
  const resource = (service: string) => ({ attributes: [P.kv('service.name', P.str(service)), P.kv('host.cpus', P.int(4))], schemaUrl: 'https://opentelemetry.io/schemas/1.26.0' })
  const scope = { name: 'hand-made', version: '0.1', attributes: [P.kv('scope.flag', P.bool(true))], schemaUrl: 'https://example.com/scope' }
  const T = 1714557600000000000n

  it('renders every body kind as the exporter does', async () => {
    const bodies: [Buffer, string][] = [
      [P.int(-42), '-42'],
      [P.dbl(0.1), '0.1'],
      [P.dbl(NaN), 'json: unsupported value: NaN'],
      [P.bool(false), 'false'],
      [P.bytes(Buffer.from([0, 1, 254, 255])), 'AAH+/w=='],
      [P.arr(P.str('a'), P.int(1), Buffer.alloc(0)), '["a",1,null]'],
      [P.kvlist(P.kv('z', P.dbl(2)), P.kv('a', P.str('x'))), '{"a":"x","z":2}'],
      [Buffer.alloc(0), ''],
      // A string then another kind: the last oneof field wins.
      [Buffer.concat([P.str('first'), P.int(7)]), '7'],
      [P.str('tab\there'), 'tab\there'],
    ]
    const records = bodies.map(([body], i) => Buffer.concat([P.fixed64(1, T + BigInt(i)), P.len(5, body)]))
    const res = await postProto(P.logsRequest(resource('bodies'), scope, records))
    expect(res.status).toBe(200)
    expect((await res.arrayBuffer()).byteLength).toBe(0)
    const rows = await logsOf('bodies')
    expect(rows.map((r) => [r.ts, r.Body])).toEqual(bodies.map(([, text], i) => [String(T + BigInt(i)), text]))
    expect(rows[0]).toMatchObject({
      ResourceSchemaUrl: 'https://opentelemetry.io/schemas/1.26.0',
      ResourceAttributes: { 'service.name': 'bodies', 'host.cpus': '4' },
      ScopeSchemaUrl: 'https://example.com/scope',
      ScopeName: 'hand-made',
      ScopeVersion: '0.1',
      ScopeAttributes: { 'scope.flag': 'true' },
      TraceId: '',
      SpanId: '',
      TraceFlags: 0,
      SeverityText: '',
      SeverityNumber: 0,
      LogAttributes: {},
      EventName: '',
    })
  })

  it('keeps the last value of a field sent twice, and every entry of a repeated one', async () => {
    const record = Buffer.concat([
      P.len(3, 'DEBUG'),
      P.len(5, P.str('first body')),
      P.len(6, P.kv('a', P.str('1'))),
      P.len(9, Buffer.alloc(16, 0x11)),
      P.len(12, 'first.event'),
      P.fixed32(8, 0),
      P.uvarint(2, 5),
      P.len(99, 'an unknown field'),
      P.len(3, 'WARN'),
      P.len(5, P.str('second body')),
      P.len(6, P.kv('b', P.int(2))),
      P.len(9, Buffer.from('4bf92f3577b34da6a3ce929d0e0e4736', 'hex')),
      P.len(10, Buffer.from('00f067aa0ba902b7', 'hex')),
      P.len(12, 'second.event'),
      P.fixed32(8, 257),
      P.uvarint(2, 13),
      P.fixed64(11, T + 5n),
      P.fixed64(1, T),
    ])
    expect((await postProto(P.logsRequest(resource('twice'), scope, [record]))).status).toBe(200)
    const [row] = await logsOf('twice')
    expect(row).toMatchObject({
      ts: String(T),
      SeverityText: 'WARN',
      SeverityNumber: 13,
      Body: 'second body',
      LogAttributes: { a: '1', b: '2' },
      TraceId: '4bf92f3577b34da6a3ce929d0e0e4736',
      SpanId: '00f067aa0ba902b7',
      TraceFlags: 1,
      EventName: 'second.event',
    })
  })

  it('stores records with more than 127 attributes (a two-byte count) beside small ones, cuts them at collector.limits.maxAttributes (128), and clamps severities', async () => {
    const many = Array.from({ length: 200 }, (_, i) => P.len(6, P.kv(`attr.${String(i).padStart(3, '0')}`, P.int(i))))
    const records = [
      Buffer.concat([P.fixed64(1, T), ...many, P.len(12, 'after.attributes'), P.uvarint(2, -1n)]),
      Buffer.concat([P.fixed64(1, T + 1n), P.len(6, P.kv('small', P.str('yes'))), P.uvarint(2, 300), P.len(3, 'huge')]),
      // No time: the observed time stands in.
      Buffer.concat([P.fixed64(11, T + 2n), ...many.slice(0, 128)]),
    ]
    expect((await postProto(P.logsRequest(resource('many-attributes'), scope, records))).status).toBe(200)
    const rows = await logsOf('many-attributes')
    expect(rows.map((r) => [r.ts, Object.keys(r.LogAttributes).length, r.SeverityNumber, r.EventName])).toEqual([
      [String(T), 128, 0, 'after.attributes'],
      [String(T + 1n), 1, 255, ''],
      [String(T + 2n), 128, 0, ''],
    ])
    expect(rows[0]!.LogAttributes['attr.127']).toBe('127')
    expect(rows[0]!.LogAttributes['attr.128']).toBeUndefined()
    expect(rows[2]!.LogAttributes['attr.127']).toBe('127')
    expect(rows[1]).toMatchObject({ LogAttributes: { small: 'yes' }, SeverityText: 'huge', ScopeName: 'hand-made' })
  })

  it('refuses records with a wrong-length id or a time past 2262, and stores the rest', async () => {
    const before = await metricValue(shared.c.registry, 'cairn_collector_items_rejected_total', { signal: 'logs', reason: 'invalid' })
    const records = [
      Buffer.concat([P.fixed64(1, T), P.len(5, P.str('kept')), P.len(10, Buffer.alloc(8))]),
      Buffer.concat([P.fixed64(1, T), P.len(5, P.str('short trace id')), P.len(9, Buffer.alloc(15, 1))]),
      Buffer.concat([P.fixed64(1, 2n ** 63n), P.len(5, P.str('too late'))]),
      Buffer.concat([P.fixed64(11, T + 1n), P.len(5, P.str('kept too')), P.len(9, Buffer.alloc(0))]),
    ]
    const res = await postProto(P.logsRequest(resource('refusals'), scope, records))
    expect(res.status).toBe(200)
    const text = Buffer.from(await res.arrayBuffer()).toString('latin1')
    expect(text).toContain('log record with a trace or span id of the wrong length')
    expect(text).toContain('log record time past the year 2262')
    expect((await logsOf('refusals')).map((r) => [r.Body, r.TraceId, r.SpanId])).toEqual([
      ['kept', '', ''],
      ['kept too', '', ''],
    ])
    expect(await metricValue(shared.c.registry, 'cairn_collector_items_rejected_total', { signal: 'logs', reason: 'invalid' })).toBe(before + 2)
  })
})

describe('retention', () => {
  it('refuses log records older than the logs table keeps, judging by the observed time when there is no time', async () => {
    const short = await shared.h.startCollector({ retentionDays: { traces: 7, logs: 30, metrics: 30 } })
    try {
      const day = 86_400_000_000_000n
      const now = BigInt(Date.now()) * 1_000_000n
      const record = (body: string, time: bigint, observed: bigint) => ({ timeUnixNano: String(time), observedTimeUnixNano: String(observed), body: { stringValue: body } })
      const attributes = Array.from({ length: 128 }, (_, i) => ({ key: `k${i}`, value: { intValue: i } }))
      const logRecords = [
        { ...record('recent', now - day, 0n), attributes },
        record('old', now - 31n * day, now),
        record('old observed', 0n, now - 31n * day),
        record('recent observed', 0n, now - day),
      ]
      const body = JSON.stringify({ resourceLogs: [{ resource: { attributes: [{ key: 'service.name', value: { stringValue: 'log-retention' } }] }, scopeLogs: [{ logRecords }] }] })
      const res = await fetch(`${short.url}/v1/logs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body })
      expect(res.status).toBe(200)
      expect(await res.json()).toEqual({ partialSuccess: { rejectedLogRecords: '2', errorMessage: 'log record older than the 30-day retention' } })
      const rows = await logsOf('log-retention')
      expect(rows.map((r) => [r.Body, r.ts, Object.keys(r.LogAttributes).length])).toEqual([
        ['recent', String(now - day), 128],
        ['recent observed', String(now - day), 0],
      ])
      expect(rows[0]!.LogAttributes.k127).toBe('127')
    } finally {
      await short.stop()
    }
  })
})

// ExportLogsServiceRequest → otel_logs rows (through cairn_ingest_logs, one line
// per resource+scope group). LogRecord fields: time_unix_nano 1
// (fixed64), severity_number 2, severity_text 3, body 5 (AnyValue), attributes 6,
// flags 8 (fixed32), trace_id 9, span_id 10, observed_time_unix_nano 11,
// event_name 12. The exporter's Timestamp is time_unix_nano, or the observed
// time when that is zero.

import { INGEST_TABLES } from '../tables.ts'
import { MapText, quoted, tsvField } from '../rows/tsv.ts'
import { jsonAnyValueString, readAnyValueString } from './any-value.ts'
import { jsonId, jsonInt32, jsonMapText, jsonObject, jsonStr, jsonUint64, readAttributeInto, readId, walkJson, walkProto, type Json, type Resource, type Scope } from './common.ts'
import { Decoded, GroupedRows, nanosText, type Retention } from './decoded.ts'
import { ProtoReader, WIRE_FIXED32, WIRE_FIXED64, WIRE_LEN, WIRE_VARINT, uint64ToDecimal } from './proto-reader.ts'

interface LogFields {
  time: string
  observed: string
  severityNumber: number
  severityText: string
  body: string
  attributes: string
  flags: number
  traceId: string | undefined
  spanId: string | undefined
  eventName: string
}

function writeLog(out: Decoded, rows: GroupedRows, l: LogFields, resource: Resource, scope: Scope): void {
  if (l.traceId === undefined || l.spanId === undefined) {
    out.reject('log record with a trace or span id of the wrong length (trace ids are 16 bytes, span ids 8)')
    return
  }
  const timestamp = nanosText(l.time !== '0' ? l.time : l.observed)
  if (timestamp === undefined) {
    out.reject('log record time past the year 2262')
    return
  }
  if (out.rejectExpired(timestamp, 'log record')) return
  const head = () =>
    [tsvField(resource.serviceName), tsvField(resource.schemaUrl), resource.attributes, tsvField(scope.schemaUrl), tsvField(scope.name), tsvField(scope.version), scope.attributes].join('\t')
  rows.add(scope, head, [
    timestamp,
    quoted(l.traceId),
    quoted(l.spanId),
    String(l.flags & 0xff),
    quoted(l.severityText),
    String(Math.min(Math.max(l.severityNumber, 0), 255)),
    quoted(l.body),
    l.attributes,
    quoted(l.eventName),
  ])
  out.accepted++
}

/** Item columns of cairn_ingest_logs (collector/tables.ts), in order. */
const LOG_COLUMNS = 9

export function decodeLogsProto(body: Buffer, retention?: Retention): Decoded {
  const out = new Decoded(retention)
  const rows = new GroupedRows(out.rows(INGEST_TABLES.logs), LOG_COLUMNS)
  walkProto(body, (r, end, resource, scope) => writeLog(out, rows, readLog(r, end), resource, scope))
  rows.close()
  return out
}

function readLog(r: ProtoReader, end: number): LogFields {
  const l: LogFields = { time: '0', observed: '0', severityNumber: 0, severityText: '', body: '', attributes: '{}', flags: 0, traceId: '', spanId: '', eventName: '' }
  const attributes = new MapText()
  while (r.pos < end) {
    const tag = r.tag(end)
    switch (tag >>> 3) {
      case 1:
        r.expect(tag, WIRE_FIXED64, 'LogRecord.time_unix_nano')
        r.fixed64()
        l.time = uint64ToDecimal(r.lo, r.hi)
        break
      case 2:
        r.expect(tag, WIRE_VARINT, 'LogRecord.severity_number')
        l.severityNumber = r.varint32() | 0
        break
      case 3:
        r.expect(tag, WIRE_LEN, 'LogRecord.severity_text')
        l.severityText = r.string(end)
        break
      case 5: {
        r.expect(tag, WIRE_LEN, 'LogRecord.body')
        const stop = r.delimited(end)
        l.body = readAnyValueString(r, stop)
        r.pos = stop
        break
      }
      case 6:
        r.expect(tag, WIRE_LEN, 'LogRecord.attributes')
        readAttributeInto(r, end, attributes)
        break
      case 8:
        r.expect(tag, WIRE_FIXED32, 'LogRecord.flags')
        l.flags = r.fixed32()
        break
      case 9:
        r.expect(tag, WIRE_LEN, 'LogRecord.trace_id')
        l.traceId = readId(r, end, 16)
        break
      case 10:
        r.expect(tag, WIRE_LEN, 'LogRecord.span_id')
        l.spanId = readId(r, end, 8)
        break
      case 11:
        r.expect(tag, WIRE_FIXED64, 'LogRecord.observed_time_unix_nano')
        r.fixed64()
        l.observed = uint64ToDecimal(r.lo, r.hi)
        break
      case 12:
        r.expect(tag, WIRE_LEN, 'LogRecord.event_name')
        l.eventName = r.string(end)
        break
      default:
        r.skip(tag & 7, end)
    }
  }
  l.attributes = attributes.toString()
  return l
}

export function decodeLogsJson(doc: Json, retention?: Retention): Decoded {
  const out = new Decoded(retention)
  const rows = new GroupedRows(out.rows(INGEST_TABLES.logs), LOG_COLUMNS)
  walkJson(doc, { resourceGroups: 'resourceLogs', scopeGroups: 'scopeLogs', items: 'logRecords' }, (item, path, resource, scope) => {
    const o = jsonObject(item, path)
    const log: LogFields = {
      time: jsonUint64(o.timeUnixNano, `${path}.timeUnixNano`),
      observed: jsonUint64(o.observedTimeUnixNano, `${path}.observedTimeUnixNano`),
      severityNumber: jsonInt32(o.severityNumber, `${path}.severityNumber`),
      severityText: jsonStr(o.severityText, `${path}.severityText`),
      body: o.body === undefined || o.body === null ? '' : jsonAnyValueString(o.body, `${path}.body`),
      attributes: jsonMapText(o.attributes, `${path}.attributes`),
      flags: jsonInt32(o.flags, `${path}.flags`),
      traceId: jsonId(o.traceId, `${path}.traceId`, 16),
      spanId: jsonId(o.spanId, `${path}.spanId`, 8),
      eventName: jsonStr(o.eventName, `${path}.eventName`),
    }
    writeLog(out, rows, log, resource, scope)
  })
  rows.close()
  return out
}

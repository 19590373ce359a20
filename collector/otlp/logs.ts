// ExportLogsServiceRequest → otel_logs rows (through cairn_ingest_logs, one row
// per resource+scope group), from protobuf or OTLP/JSON, as RowBinary.
// LogRecord fields (opentelemetry/proto/logs/v1): time_unix_nano 1 (fixed64),
// severity_number 2, severity_text 3, body 5 (AnyValue), attributes 6,
// flags 8 (fixed32), trace_id 9, span_id 10, observed_time_unix_nano 11,
// event_name 12. The exporter's Timestamp is time_unix_nano, or the observed
// time when that is zero.

import { INGEST_TABLES, itemPositions, LOGS_INGEST } from '../tables.ts'
import { ItemColumns, type GroupedRows } from '../rows/grouped.ts'
import { limitAttributes } from './limits.ts'
import {
  ID_BAD,
  ID_EMPTY,
  copyString,
  jsonAttributeMap,
  jsonIdInto,
  jsonInt32,
  jsonObject,
  jsonStr,
  jsonUint64Halves,
  writeAttribute,
  writeId,
  type Json,
} from './common.ts'
import { jsonAnyValueString, writeAnyValue } from './any-value.ts'
import { groupedDecoders } from './grouped-signal.ts'
import type { Decoded } from './decoded.ts'
import { ProtoReader, WIRE_FIXED32, WIRE_FIXED64, WIRE_LEN, WIRE_VARINT } from './proto-reader.ts'

/** Item columns of cairn_ingest_logs by position, from the otel_logs columns they fill (collector/tables.ts). */
const C = itemPositions(LOGS_INGEST, {
  timestamp: 'Timestamp',
  traceId: 'TraceId',
  spanId: 'SpanId',
  traceFlags: 'TraceFlags',
  severityText: 'SeverityText',
  severityNumber: 'SeverityNumber',
  body: 'Body',
  attributes: 'LogAttributes',
  eventName: 'EventName',
})

/** Decoding is synchronous: one set of column writers serves every request. */
const columns = new ItemColumns(LOGS_INGEST.itemDefaults)

/** What a log record's fields leave for the checks and the columns written once the record is complete. */
class LogState {
  timeLo = 0
  timeHi = 0
  observedLo = 0
  observedHi = 0
  severityNumber = 0
  flags = 0
  traceId = ID_EMPTY
  spanId = ID_EMPTY
  /** Where the attribute map's count is reserved (-1: not started), and how many entries follow. */
  attributesAt = -1
  attributeCount = 0

  reset(): void {
    this.timeLo = this.timeHi = this.observedLo = this.observedHi = 0
    this.severityNumber = this.flags = 0
    this.traceId = this.spanId = ID_EMPTY
    this.attributesAt = -1
    this.attributeCount = 0
  }
}

const log = new LogState()

/** Checks a log record whose fields are in the item columns, and completes or drops it. */
function finishLog(out: Decoded, rows: GroupedRows, s: LogState): void {
  const cols = rows.items
  const observed = s.timeLo === 0 && s.timeHi === 0
  const lo = observed ? s.observedLo : s.timeLo
  const hi = observed ? s.observedHi : s.timeHi
  const refusal =
    s.traceId === ID_BAD || s.spanId === ID_BAD
      ? 'log record with a trace or span id of the wrong length (trace ids are 16 bytes, span ids 8)'
      : hi >= 0x80000000
        ? 'log record time past the year 2262'
        : undefined
  if (refusal !== undefined) {
    cols.discard()
    out.reject(refusal)
    return
  }
  if (out.rejectUntimelyNs(lo, hi, 'log record')) {
    cols.discard()
    return
  }
  cols.set(C.timestamp).u64(lo, hi)
  cols.set(C.traceFlags).u8(s.flags & 0xff)
  cols.set(C.severityNumber).u8(Math.min(Math.max(s.severityNumber, 0), 255))
  if (s.attributesAt >= 0) cols.columns[C.attributes]!.endCount(s.attributesAt, s.attributeCount)
  limitAttributes(out, cols, C.attributes)
  const body = cols.columns[C.body]!
  if (out.limiter && body.pos > cols.valueStart(C.body)) out.limiter.logBody(body, cols.valueStart(C.body))
  cols.end()
  rows.added()
  out.accepted++
}


// ---- protobuf ----

export const { protobuf: decodeLogsProto, json: decodeLogsJson } = groupedDecoders({
  table: INGEST_TABLES.logs,
  columns,
  jsonKeys: { resourceGroups: 'resourceLogs', scopeGroups: 'scopeLogs', items: 'logRecords' },
  head: (resource, scope) =>
    Buffer.concat([resource.serviceName, resource.schemaUrl, resource.attributes, scope.schemaUrl, scope.name, scope.version, scope.attributes]),
  readProto: (r, end, cols) => readLog(r, end, cols, log),
  readJson: (item, path, cols) => jsonLog(item, path, cols, log),
  finish: (out, rows) => finishLog(out, rows, log),
})

function readLog(r: ProtoReader, end: number, cols: ItemColumns, s: LogState): void {
  cols.begin()
  s.reset()
  while (r.pos < end) {
    const tag = r.tag(end)
    switch (tag >>> 3) {
      case 1:
        r.expect(tag, WIRE_FIXED64, 'LogRecord.time_unix_nano')
        r.fixed64()
        s.timeLo = r.lo
        s.timeHi = r.hi
        break
      case 2:
        r.expect(tag, WIRE_VARINT, 'LogRecord.severity_number')
        s.severityNumber = r.varint32() | 0
        break
      case 3:
        r.expect(tag, WIRE_LEN, 'LogRecord.severity_text')
        copyString(r, end, cols.set(C.severityText))
        break
      case 5: {
        r.expect(tag, WIRE_LEN, 'LogRecord.body')
        const stop = r.delimited(end)
        writeAnyValue(r, stop, cols.set(C.body))
        r.pos = stop
        break
      }
      case 6: {
        r.expect(tag, WIRE_LEN, 'LogRecord.attributes')
        const w = cols.columns[C.attributes]!
        if (s.attributesAt < 0) s.attributesAt = w.beginCount()
        writeAttribute(r, end, w)
        s.attributeCount++
        break
      }
      case 8:
        r.expect(tag, WIRE_FIXED32, 'LogRecord.flags')
        s.flags = r.fixed32()
        break
      case 9:
        r.expect(tag, WIRE_LEN, 'LogRecord.trace_id')
        s.traceId = writeId(r, end, 16, cols.set(C.traceId))
        break
      case 10:
        r.expect(tag, WIRE_LEN, 'LogRecord.span_id')
        s.spanId = writeId(r, end, 8, cols.set(C.spanId))
        break
      case 11:
        r.expect(tag, WIRE_FIXED64, 'LogRecord.observed_time_unix_nano')
        r.fixed64()
        s.observedLo = r.lo
        s.observedHi = r.hi
        break
      case 12:
        r.expect(tag, WIRE_LEN, 'LogRecord.event_name')
        copyString(r, end, cols.set(C.eventName))
        break
      default:
        r.skip(tag & 7, end)
    }
  }
}

// ---- JSON ----


/** Fields are checked in a fixed order, so a request with several bad fields always names the same one. */
function jsonLog(v: Json, path: string, cols: ItemColumns, s: LogState): void {
  const o = jsonObject(v, path)
  cols.begin()
  s.reset()
  ;[s.timeLo, s.timeHi] = jsonUint64Halves(o.timeUnixNano, `${path}.timeUnixNano`)
  ;[s.observedLo, s.observedHi] = jsonUint64Halves(o.observedTimeUnixNano, `${path}.observedTimeUnixNano`)
  s.severityNumber = jsonInt32(o.severityNumber, `${path}.severityNumber`)
  cols.set(C.severityText).string(jsonStr(o.severityText, `${path}.severityText`))
  cols.set(C.body).string(o.body === undefined || o.body === null ? '' : jsonAnyValueString(o.body, `${path}.body`))
  jsonAttributeMap(o.attributes, `${path}.attributes`, cols.columns[C.attributes]!)
  s.flags = jsonInt32(o.flags, `${path}.flags`)
  s.traceId = jsonIdInto(o.traceId, `${path}.traceId`, 16, cols.set(C.traceId))
  s.spanId = jsonIdInto(o.spanId, `${path}.spanId`, 8, cols.set(C.spanId))
  cols.set(C.eventName).string(jsonStr(o.eventName, `${path}.eventName`))
}

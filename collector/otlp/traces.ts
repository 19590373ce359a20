// ExportTraceServiceRequest → otel_traces rows (through cairn_ingest_traces, one
// line per resource+scope group), from protobuf or OTLP/JSON.
// Field numbers (opentelemetry/proto/trace/v1): ResourceSpans{resource 1,
// scope_spans 2, schema_url 3}; ScopeSpans{scope 1, spans 2, schema_url 3};
// Span{trace_id 1, span_id 2, trace_state 3, parent_span_id 4, name 5, kind 6,
// start_time_unix_nano 7, end_time_unix_nano 8, attributes 9, events 11,
// links 13, status 15, flags 16}; Event{time_unix_nano 1, name 2, attributes 3};
// Link{trace_id 1, span_id 2, trace_state 3, attributes 4}; Status{message 2, code 3}.

import { INGEST_TABLES } from '../tables.ts'
import { MapText, arrayText, quoted, tsvField } from '../rows/tsv.ts'
import {
  jsonArray,
  jsonId,
  jsonInt32,
  jsonMapText,
  jsonObject,
  jsonStr,
  jsonUint64,
  readAttributeInto,
  readId,
  walkJson,
  walkProto,
  type Json,
  type Resource,
  type Scope,
} from './common.ts'
import { Decoded, GroupedRows, type Retention, durationFromDecimal, durationNs, nanosText, nanosTextClamped } from './decoded.ts'
import { ProtoReader, WIRE_FIXED64, WIRE_LEN, WIRE_VARINT, DecodeError, uint64ToDecimal } from './proto-reader.ts'

export const SPAN_KINDS = ['Unspecified', 'Internal', 'Server', 'Client', 'Producer', 'Consumer']
export const STATUS_CODES = ['Unset', 'Ok', 'Error']

/** One span, gathered field by field before its row is written (fields may come in any order). */
interface SpanFields {
  traceId: string | undefined
  spanId: string | undefined
  parentSpanId: string | undefined
  traceState: string
  name: string
  kind: number
  start: string
  duration: string
  attributes: string
  statusCode: number
  statusMessage: string
  eventTimes: string[]
  eventNames: string[]
  eventAttributes: string[]
  linkTraceIds: string[]
  linkSpanIds: string[]
  linkStates: string[]
  linkAttributes: string[]
  badLinkId: boolean
}

function writeSpan(out: Decoded, rows: GroupedRows, s: SpanFields, resource: Resource, scope: Scope): void {
  if (s.traceId === undefined || s.spanId === undefined || s.parentSpanId === undefined || s.badLinkId) {
    out.reject('span with a trace or span id of the wrong length (trace ids are 16 bytes, span ids 8)')
    return
  }
  if (s.traceId === '' || s.spanId === '') {
    out.reject('span without a trace id or span id')
    return
  }
  const start = nanosText(s.start)
  if (start === undefined) {
    out.reject('span start time past the year 2262')
    return
  }
  if (out.rejectExpired(start, 'span')) return
  const head = () => `${tsvField(resource.serviceName)}\t${resource.attributes}\t${tsvField(scope.name)}\t${tsvField(scope.version)}`
  rows.add(scope, head, [
    start,
    quoted(s.traceId),
    quoted(s.spanId),
    quoted(s.parentSpanId),
    quoted(s.traceState),
    quoted(s.name),
    quoted(SPAN_KINDS[s.kind] ?? ''),
    s.attributes,
    s.duration,
    quoted(STATUS_CODES[s.statusCode] ?? ''),
    quoted(s.statusMessage),
    arrayText(s.eventTimes.map(nanosTextClamped)),
    arrayText(s.eventNames),
    arrayText(s.eventAttributes),
    arrayText(s.linkTraceIds),
    arrayText(s.linkSpanIds),
    arrayText(s.linkStates),
    arrayText(s.linkAttributes),
  ])
  out.accepted++
}

/** Item columns of cairn_ingest_traces (collector/tables.ts), in order. */
const SPAN_COLUMNS = 18

function emptySpan(): SpanFields {
  return {
    traceId: '',
    spanId: '',
    parentSpanId: '',
    traceState: '',
    name: '',
    kind: 0,
    start: '0',
    duration: '0',
    attributes: '{}',
    statusCode: 0,
    statusMessage: '',
    eventTimes: [],
    eventNames: [],
    eventAttributes: [],
    linkTraceIds: [],
    linkSpanIds: [],
    linkStates: [],
    linkAttributes: [],
    badLinkId: false,
  }
}

// ---- protobuf ----

export function decodeTracesProto(body: Buffer, retention?: Retention): Decoded {
  const out = new Decoded(retention)
  const rows = new GroupedRows(out.rows(INGEST_TABLES.traces), SPAN_COLUMNS)
  walkProto(body, (r, end, resource, scope) => writeSpan(out, rows, readSpan(r, end), resource, scope))
  rows.close()
  return out
}

function readSpan(r: ProtoReader, end: number): SpanFields {
  const s = emptySpan()
  const attributes = new MapText()
  let startLo = 0
  let startHi = 0
  let endLo = 0
  let endHi = 0
  while (r.pos < end) {
    const tag = r.tag(end)
    switch (tag >>> 3) {
      case 1:
        r.expect(tag, WIRE_LEN, 'Span.trace_id')
        s.traceId = readId(r, end, 16)
        break
      case 2:
        r.expect(tag, WIRE_LEN, 'Span.span_id')
        s.spanId = readId(r, end, 8)
        break
      case 3:
        r.expect(tag, WIRE_LEN, 'Span.trace_state')
        s.traceState = r.string(end)
        break
      case 4:
        r.expect(tag, WIRE_LEN, 'Span.parent_span_id')
        s.parentSpanId = readId(r, end, 8)
        break
      case 5:
        r.expect(tag, WIRE_LEN, 'Span.name')
        s.name = r.string(end)
        break
      case 6:
        r.expect(tag, WIRE_VARINT, 'Span.kind')
        s.kind = r.varint32()
        break
      case 7:
        r.expect(tag, WIRE_FIXED64, 'Span.start_time_unix_nano')
        r.fixed64()
        startLo = r.lo
        startHi = r.hi
        break
      case 8:
        r.expect(tag, WIRE_FIXED64, 'Span.end_time_unix_nano')
        r.fixed64()
        endLo = r.lo
        endHi = r.hi
        break
      case 9:
        r.expect(tag, WIRE_LEN, 'Span.attributes')
        readAttributeInto(r, end, attributes)
        break
      case 11: {
        r.expect(tag, WIRE_LEN, 'Span.events')
        const stop = r.delimited(end)
        readEvent(r, stop, s)
        r.pos = stop
        break
      }
      case 13: {
        r.expect(tag, WIRE_LEN, 'Span.links')
        const stop = r.delimited(end)
        readLink(r, stop, s)
        r.pos = stop
        break
      }
      case 15: {
        r.expect(tag, WIRE_LEN, 'Span.status')
        const stop = r.delimited(end)
        readStatus(r, stop, s)
        r.pos = stop
        break
      }
      default:
        r.skip(tag & 7, end)
    }
  }
  s.start = uint64ToDecimal(startLo, startHi)
  s.duration = durationNs(startLo, startHi, endLo, endHi)
  s.attributes = attributes.toString()
  return s
}

function readEvent(r: ProtoReader, end: number, s: SpanFields): void {
  let time = '0'
  let name = ''
  const attributes = new MapText()
  while (r.pos < end) {
    const tag = r.tag(end)
    switch (tag >>> 3) {
      case 1:
        r.expect(tag, WIRE_FIXED64, 'Span.Event.time_unix_nano')
        r.fixed64()
        time = uint64ToDecimal(r.lo, r.hi)
        break
      case 2:
        r.expect(tag, WIRE_LEN, 'Span.Event.name')
        name = r.string(end)
        break
      case 3:
        r.expect(tag, WIRE_LEN, 'Span.Event.attributes')
        readAttributeInto(r, end, attributes)
        break
      default:
        r.skip(tag & 7, end)
    }
  }
  s.eventTimes.push(time)
  s.eventNames.push(quoted(name))
  s.eventAttributes.push(attributes.toString())
}

function readLink(r: ProtoReader, end: number, s: SpanFields): void {
  let traceId: string | undefined = ''
  let spanId: string | undefined = ''
  let state = ''
  const attributes = new MapText()
  while (r.pos < end) {
    const tag = r.tag(end)
    switch (tag >>> 3) {
      case 1:
        r.expect(tag, WIRE_LEN, 'Span.Link.trace_id')
        traceId = readId(r, end, 16)
        break
      case 2:
        r.expect(tag, WIRE_LEN, 'Span.Link.span_id')
        spanId = readId(r, end, 8)
        break
      case 3:
        r.expect(tag, WIRE_LEN, 'Span.Link.trace_state')
        state = r.string(end)
        break
      case 4:
        r.expect(tag, WIRE_LEN, 'Span.Link.attributes')
        readAttributeInto(r, end, attributes)
        break
      default:
        r.skip(tag & 7, end)
    }
  }
  if (traceId === undefined || spanId === undefined) s.badLinkId = true
  s.linkTraceIds.push(quoted(traceId ?? ''))
  s.linkSpanIds.push(quoted(spanId ?? ''))
  s.linkStates.push(quoted(state))
  s.linkAttributes.push(attributes.toString())
}

function readStatus(r: ProtoReader, end: number, s: SpanFields): void {
  while (r.pos < end) {
    const tag = r.tag(end)
    if (tag >>> 3 === 2) {
      r.expect(tag, WIRE_LEN, 'Status.message')
      s.statusMessage = r.string(end)
    } else if (tag >>> 3 === 3) {
      r.expect(tag, WIRE_VARINT, 'Status.code')
      s.statusCode = r.varint32()
    } else r.skip(tag & 7, end)
  }
}

// ---- JSON ----

export function decodeTracesJson(doc: Json, retention?: Retention): Decoded {
  const out = new Decoded(retention)
  const rows = new GroupedRows(out.rows(INGEST_TABLES.traces), SPAN_COLUMNS)
  walkJson(doc, { resourceGroups: 'resourceSpans', scopeGroups: 'scopeSpans', items: 'spans' }, (item, path, resource, scope) =>
    writeSpan(out, rows, jsonSpan(item, path), resource, scope),
  )
  rows.close()
  return out
}

function jsonSpan(v: Json, path: string): SpanFields {
  const o = jsonObject(v, path)
  const s = emptySpan()
  s.traceId = jsonId(o.traceId, `${path}.traceId`, 16)
  s.spanId = jsonId(o.spanId, `${path}.spanId`, 8)
  s.parentSpanId = jsonId(o.parentSpanId, `${path}.parentSpanId`, 8)
  s.traceState = jsonStr(o.traceState, `${path}.traceState`)
  s.name = jsonStr(o.name, `${path}.name`)
  s.kind = jsonInt32(o.kind, `${path}.kind`)
  s.start = jsonUint64(o.startTimeUnixNano, `${path}.startTimeUnixNano`)
  s.duration = durationFromDecimal(s.start, jsonUint64(o.endTimeUnixNano, `${path}.endTimeUnixNano`))
  s.attributes = jsonMapText(o.attributes, `${path}.attributes`)
  jsonArray(o.events, `${path}.events`).forEach((ev, i) => {
    const epath = `${path}.events[${i}]`
    const e = jsonObject(ev, epath)
    s.eventTimes.push(jsonUint64(e.timeUnixNano, `${epath}.timeUnixNano`))
    s.eventNames.push(quoted(jsonStr(e.name, `${epath}.name`)))
    s.eventAttributes.push(jsonMapText(e.attributes, `${epath}.attributes`))
  })
  jsonArray(o.links, `${path}.links`).forEach((lv, i) => {
    const lpath = `${path}.links[${i}]`
    const l = jsonObject(lv, lpath)
    const traceId = jsonId(l.traceId, `${lpath}.traceId`, 16)
    const spanId = jsonId(l.spanId, `${lpath}.spanId`, 8)
    if (traceId === undefined || spanId === undefined) s.badLinkId = true
    s.linkTraceIds.push(quoted(traceId ?? ''))
    s.linkSpanIds.push(quoted(spanId ?? ''))
    s.linkStates.push(quoted(jsonStr(l.traceState, `${lpath}.traceState`)))
    s.linkAttributes.push(jsonMapText(l.attributes, `${lpath}.attributes`))
  })
  if (o.status !== undefined && o.status !== null) {
    const st = jsonObject(o.status, `${path}.status`)
    s.statusMessage = jsonStr(st.message, `${path}.status.message`)
    s.statusCode = jsonInt32(st.code, `${path}.status.code`)
  }
  return s
}

export { DecodeError }

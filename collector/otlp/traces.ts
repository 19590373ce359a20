// ExportTraceServiceRequest → otel_traces rows (through cairn_ingest_traces, one
// row per resource+scope group), from protobuf or OTLP/JSON, as RowBinary.
// Field numbers (opentelemetry/proto/trace/v1): ResourceSpans{resource 1,
// scope_spans 2, schema_url 3}; ScopeSpans{scope 1, spans 2, schema_url 3};
// Span{trace_id 1, span_id 2, trace_state 3, parent_span_id 4, name 5, kind 6,
// start_time_unix_nano 7, end_time_unix_nano 8, attributes 9, events 11,
// links 13, status 15, flags 16}; Event{time_unix_nano 1, name 2, attributes 3};
// Link{trace_id 1, span_id 2, trace_state 3, attributes 4}; Status{message 2, code 3}.

import { SPAN_KINDS, STATUS_CODES } from '../../storage/index.ts'
import { INGEST_TABLES, itemPositions, TRACES_INGEST } from '../tables.ts'
import { stringBytes } from '../rows/binary.ts'
import { ItemColumns, type GroupedRows } from '../rows/grouped.ts'
import {
  EMPTY_STRING,
  ID_BAD,
  ID_EMPTY,
  copyString,
  jsonArray,
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
import { groupedDecoders } from './grouped-signal.ts'
import { limitAttributes } from './limits.ts'
import { type Decoded, writeDuration, writeNanosClamped } from './decoded.ts'
import { ProtoReader, WIRE_FIXED64, WIRE_LEN, WIRE_VARINT, DecodeError } from './proto-reader.ts'

const KIND_VALUES = SPAN_KINDS.map(stringBytes)
const STATUS_VALUES = STATUS_CODES.map(stringBytes)

/** Item columns of cairn_ingest_traces by position, from the otel_traces columns they fill (collector/tables.ts). */
const C = itemPositions(TRACES_INGEST, {
  timestamp: 'Timestamp',
  traceId: 'TraceId',
  spanId: 'SpanId',
  parentSpanId: 'ParentSpanId',
  traceState: 'TraceState',
  name: 'SpanName',
  kind: 'SpanKind',
  attributes: 'SpanAttributes',
  duration: 'Duration',
  statusCode: 'StatusCode',
  statusMessage: 'StatusMessage',
  eventTimes: 'Events.Timestamp',
  eventNames: 'Events.Name',
  eventAttributes: 'Events.Attributes',
  linkTraceIds: 'Links.TraceId',
  linkSpanIds: 'Links.SpanId',
  linkStates: 'Links.TraceState',
  linkAttributes: 'Links.Attributes',
})

/** Decoding is synchronous: one set of column writers serves every request. */
const columns = new ItemColumns(TRACES_INGEST.itemDefaults)

/** What a span's fields leave for the checks and the columns written once the span is complete. */
class SpanState {
  startLo = 0
  startHi = 0
  endLo = 0
  endHi = 0
  kind = 0
  statusCode = 0
  traceId = ID_EMPTY
  spanId = ID_EMPTY
  parentSpanId = ID_EMPTY
  badLinkId = false
  /** Where the attribute map's count is reserved (-1: not started), and how many entries follow. */
  attributesAt = -1
  attributeCount = 0
  /** Count positions in the three event columns and the four link columns, when started. */
  readonly eventsAt = [0, 0, 0]
  eventCount = 0
  readonly linksAt = [0, 0, 0, 0]
  linkCount = 0

  reset(): void {
    this.startLo = this.startHi = this.endLo = this.endHi = 0
    this.kind = this.statusCode = 0
    this.traceId = this.spanId = this.parentSpanId = ID_EMPTY
    this.badLinkId = false
    this.attributesAt = -1
    this.attributeCount = this.eventCount = this.linkCount = 0
  }
}

const span = new SpanState()

/** Checks a span whose fields are in the item columns, and completes or drops it. */
function finishSpan(out: Decoded, rows: GroupedRows, s: SpanState): void {
  const cols = rows.items
  const refusal =
    s.traceId === ID_BAD || s.spanId === ID_BAD || s.parentSpanId === ID_BAD || s.badLinkId
      ? 'span with a trace or span id of the wrong length (trace ids are 16 bytes, span ids 8)'
      : s.traceId === ID_EMPTY || s.spanId === ID_EMPTY
        ? 'span without a trace id or span id'
        : s.startHi >= 0x80000000
          ? 'span start time past the year 2262'
          : undefined
  if (refusal !== undefined) {
    cols.discard()
    out.reject(refusal)
    return
  }
  if (out.rejectUntimelyNs(s.startLo, s.startHi, 'span')) {
    cols.discard()
    return
  }
  const c = cols.columns
  cols.set(C.timestamp).u64(s.startLo, s.startHi)
  const kind = KIND_VALUES[s.kind] ?? EMPTY_STRING
  cols.set(C.kind).raw(kind, 0, kind.length)
  if (s.attributesAt >= 0) c[C.attributes]!.endCount(s.attributesAt, s.attributeCount)
  limitAttributes(out, cols, C.attributes)
  writeDuration(cols.set(C.duration), s.startLo, s.startHi, s.endLo, s.endHi)
  const status = STATUS_VALUES[s.statusCode] ?? EMPTY_STRING
  cols.set(C.statusCode).raw(status, 0, status.length)
  if (s.eventCount > 0) for (let i = 0; i < 3; i++) c[C.eventTimes + i]!.endCount(s.eventsAt[i]!, s.eventCount)
  if (s.linkCount > 0) for (let i = 0; i < 4; i++) c[C.linkTraceIds + i]!.endCount(s.linksAt[i]!, s.linkCount)
  limitAttributes(out, cols, C.eventAttributes, true)
  limitAttributes(out, cols, C.linkAttributes, true)
  cols.end()
  rows.added()
  out.accepted++
}


/** Reserves the counts of the event (or link) columns at the first event of a span. */
function beginCounts(cols: ItemColumns, first: number, at: number[]): void {
  for (let i = 0; i < at.length; i++) at[i] = cols.columns[first + i]!.beginCount()
}

// ---- protobuf ----

export const { protobuf: decodeTracesProto, json: decodeTracesJson } = groupedDecoders({
  table: INGEST_TABLES.traces,
  columns,
  jsonKeys: { resourceGroups: 'resourceSpans', scopeGroups: 'scopeSpans', items: 'spans' },
  head: (resource, scope) => Buffer.concat([resource.serviceName, resource.attributes, scope.name, scope.version]),
  readProto: (r, end, cols) => readSpan(r, end, cols, span),
  readJson: (item, path, cols) => jsonSpan(item, path, cols, span),
  finish: (out, rows) => finishSpan(out, rows, span),
})

function readSpan(r: ProtoReader, end: number, cols: ItemColumns, s: SpanState): void {
  cols.begin()
  s.reset()
  while (r.pos < end) {
    const tag = r.tag(end)
    switch (tag >>> 3) {
      case 1:
        r.expect(tag, WIRE_LEN, 'Span.trace_id')
        s.traceId = writeId(r, end, 16, cols.set(C.traceId))
        break
      case 2:
        r.expect(tag, WIRE_LEN, 'Span.span_id')
        s.spanId = writeId(r, end, 8, cols.set(C.spanId))
        break
      case 3:
        r.expect(tag, WIRE_LEN, 'Span.trace_state')
        copyString(r, end, cols.set(C.traceState))
        break
      case 4:
        r.expect(tag, WIRE_LEN, 'Span.parent_span_id')
        s.parentSpanId = writeId(r, end, 8, cols.set(C.parentSpanId))
        break
      case 5:
        r.expect(tag, WIRE_LEN, 'Span.name')
        copyString(r, end, cols.set(C.name))
        break
      case 6:
        r.expect(tag, WIRE_VARINT, 'Span.kind')
        s.kind = r.varint32()
        break
      case 7:
        r.expect(tag, WIRE_FIXED64, 'Span.start_time_unix_nano')
        r.fixed64()
        s.startLo = r.lo
        s.startHi = r.hi
        break
      case 8:
        r.expect(tag, WIRE_FIXED64, 'Span.end_time_unix_nano')
        r.fixed64()
        s.endLo = r.lo
        s.endHi = r.hi
        break
      case 9: {
        r.expect(tag, WIRE_LEN, 'Span.attributes')
        const w = cols.columns[C.attributes]!
        if (s.attributesAt < 0) s.attributesAt = w.beginCount()
        writeAttribute(r, end, w)
        s.attributeCount++
        break
      }
      case 11: {
        r.expect(tag, WIRE_LEN, 'Span.events')
        const stop = r.delimited(end)
        if (s.eventCount++ === 0) beginCounts(cols, C.eventTimes, s.eventsAt)
        readEvent(r, stop, cols)
        r.pos = stop
        break
      }
      case 13: {
        r.expect(tag, WIRE_LEN, 'Span.links')
        const stop = r.delimited(end)
        if (s.linkCount++ === 0) beginCounts(cols, C.linkTraceIds, s.linksAt)
        if (!readLink(r, stop, cols)) s.badLinkId = true
        r.pos = stop
        break
      }
      case 15: {
        r.expect(tag, WIRE_LEN, 'Span.status')
        const stop = r.delimited(end)
        readStatus(r, stop, cols, s)
        r.pos = stop
        break
      }
      default:
        r.skip(tag & 7, end)
    }
  }
}

function readEvent(r: ProtoReader, end: number, cols: ItemColumns): void {
  let lo = 0
  let hi = 0
  let nameStart = -1
  let nameEnd = -1
  const attributes = cols.columns[C.eventAttributes]!
  const at = attributes.beginCount()
  let count = 0
  while (r.pos < end) {
    const tag = r.tag(end)
    switch (tag >>> 3) {
      case 1:
        r.expect(tag, WIRE_FIXED64, 'Span.Event.time_unix_nano')
        r.fixed64()
        lo = r.lo
        hi = r.hi
        break
      case 2:
        r.expect(tag, WIRE_LEN, 'Span.Event.name')
        nameStart = r.pos
        r.pos = nameEnd = r.delimited(end)
        break
      case 3:
        r.expect(tag, WIRE_LEN, 'Span.Event.attributes')
        writeAttribute(r, end, attributes)
        count++
        break
      default:
        r.skip(tag & 7, end)
    }
  }
  attributes.endCount(at, count)
  writeNanosClamped(cols.columns[C.eventTimes]!, lo, hi)
  const names = cols.columns[C.eventNames]!
  if (nameStart < 0) names.u8(0)
  else names.raw(r.buf, nameStart, nameEnd)
}

/** Reads a link into the four link columns; false when one of its ids has the wrong length. */
function readLink(r: ProtoReader, end: number, cols: ItemColumns): boolean {
  const c = cols.columns
  const traceIds = c[C.linkTraceIds]!
  const spanIds = c[C.linkSpanIds]!
  const states = c[C.linkStates]!
  const marks = [traceIds.pos, spanIds.pos, states.pos]
  let traceId = ID_EMPTY
  let spanId = ID_EMPTY
  const attributes = c[C.linkAttributes]!
  const at = attributes.beginCount()
  let count = 0
  // A field sent twice keeps its last value: each write starts again from the link's mark.
  while (r.pos < end) {
    const tag = r.tag(end)
    switch (tag >>> 3) {
      case 1:
        r.expect(tag, WIRE_LEN, 'Span.Link.trace_id')
        traceIds.pos = marks[0]!
        traceId = writeId(r, end, 16, traceIds)
        break
      case 2:
        r.expect(tag, WIRE_LEN, 'Span.Link.span_id')
        spanIds.pos = marks[1]!
        spanId = writeId(r, end, 8, spanIds)
        break
      case 3:
        r.expect(tag, WIRE_LEN, 'Span.Link.trace_state')
        states.pos = marks[2]!
        copyString(r, end, states)
        break
      case 4:
        r.expect(tag, WIRE_LEN, 'Span.Link.attributes')
        writeAttribute(r, end, attributes)
        count++
        break
      default:
        r.skip(tag & 7, end)
    }
  }
  attributes.endCount(at, count)
  ;[traceIds, spanIds, states].forEach((w, i) => {
    if (w.pos === marks[i]) w.u8(0)
  })
  return traceId !== ID_BAD && spanId !== ID_BAD
}

function readStatus(r: ProtoReader, end: number, cols: ItemColumns, s: SpanState): void {
  while (r.pos < end) {
    const tag = r.tag(end)
    if (tag >>> 3 === 2) {
      r.expect(tag, WIRE_LEN, 'Status.message')
      copyString(r, end, cols.set(C.statusMessage))
    } else if (tag >>> 3 === 3) {
      r.expect(tag, WIRE_VARINT, 'Status.code')
      s.statusCode = r.varint32()
    } else r.skip(tag & 7, end)
  }
}

// ---- JSON ----


function jsonSpan(v: Json, path: string, cols: ItemColumns, s: SpanState): void {
  const o = jsonObject(v, path)
  cols.begin()
  s.reset()
  const c = cols.columns
  s.traceId = jsonIdInto(o.traceId, `${path}.traceId`, 16, cols.set(C.traceId))
  s.spanId = jsonIdInto(o.spanId, `${path}.spanId`, 8, cols.set(C.spanId))
  s.parentSpanId = jsonIdInto(o.parentSpanId, `${path}.parentSpanId`, 8, cols.set(C.parentSpanId))
  cols.set(C.traceState).string(jsonStr(o.traceState, `${path}.traceState`))
  cols.set(C.name).string(jsonStr(o.name, `${path}.name`))
  s.kind = jsonInt32(o.kind, `${path}.kind`)
  ;[s.startLo, s.startHi] = jsonUint64Halves(o.startTimeUnixNano, `${path}.startTimeUnixNano`)
  ;[s.endLo, s.endHi] = jsonUint64Halves(o.endTimeUnixNano, `${path}.endTimeUnixNano`)
  jsonAttributeMap(o.attributes, `${path}.attributes`, c[C.attributes]!)
  const events = jsonArray(o.events, `${path}.events`)
  if (events.length > 0) {
    for (let i = 0; i < 3; i++) c[C.eventTimes + i]!.varint(events.length)
    events.forEach((ev, i) => {
      const epath = `${path}.events[${i}]`
      const e = jsonObject(ev, epath)
      const [lo, hi] = jsonUint64Halves(e.timeUnixNano, `${epath}.timeUnixNano`)
      writeNanosClamped(c[C.eventTimes]!, lo, hi)
      c[C.eventNames]!.string(jsonStr(e.name, `${epath}.name`))
      jsonAttributeMap(e.attributes, `${epath}.attributes`, c[C.eventAttributes]!)
    })
  }
  const links = jsonArray(o.links, `${path}.links`)
  if (links.length > 0) {
    for (let i = 0; i < 4; i++) c[C.linkTraceIds + i]!.varint(links.length)
    links.forEach((lv, i) => {
      const lpath = `${path}.links[${i}]`
      const l = jsonObject(lv, lpath)
      const traceId = jsonIdInto(l.traceId, `${lpath}.traceId`, 16, c[C.linkTraceIds]!)
      const spanId = jsonIdInto(l.spanId, `${lpath}.spanId`, 8, c[C.linkSpanIds]!)
      if (traceId === ID_BAD || spanId === ID_BAD) s.badLinkId = true
      c[C.linkStates]!.string(jsonStr(l.traceState, `${lpath}.traceState`))
      jsonAttributeMap(l.attributes, `${lpath}.attributes`, c[C.linkAttributes]!)
    })
  }
  if (o.status !== undefined && o.status !== null) {
    const st = jsonObject(o.status, `${path}.status`)
    cols.set(C.statusMessage).string(jsonStr(st.message, `${path}.status.message`))
    s.statusCode = jsonInt32(st.code, `${path}.status.code`)
  }
}

export { DecodeError }

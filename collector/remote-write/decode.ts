// Prometheus remote_write 1.0: a snappy-compressed (block format) WriteRequest.
// WriteRequest{timeseries 1, metadata 3}; TimeSeries{labels 1, samples 2,
// exemplars 3, histograms 4}; Label{name 1, value 2}; Sample{value 1 (double),
// timestamp 2 (int64 ms)}; MetricMetadata{type 1, metric_family_name 2, help 4,
// unit 5} with type UNKNOWN 0, COUNTER 1, GAUGE 2, HISTOGRAM 3, GAUGEHISTOGRAM 4,
// SUMMARY 5, INFO 6, STATESET 7.
//
// Series are not turned into objects: a label is where its name and value are
// in the body (protobuf's length prefix and bytes, which are a RowBinary String
// as they are), samples are two reused arrays of numbers.

import { DecodeError, ProtoReader, WIRE_FIXED64, WIRE_LEN, WIRE_VARINT, int64ToNumber } from '../otlp/proto-reader.ts'

export interface Metadata {
  type: number
  family: string
  help: string
  unit: string
}

export interface WriteRequest {
  body: Buffer
  /** Where each TimeSeries message is in the body: start and end offsets, in pairs. */
  series: number[]
  metadata: Metadata[]
}

/** Prometheus's stale marker: the NaN 0x7ff0000000000002. */
const STALE_NAN_HI = 0x7ff00000
const STALE_NAN_LO = 0x00000002

export const METRIC_TYPE = { unknown: 0, counter: 1, gauge: 2, histogram: 3, gaugeHistogram: 4, summary: 5 } as const

/** Finds the series of a WriteRequest and reads its metadata. */
export function scanWriteRequest(body: Buffer): WriteRequest {
  const r = new ProtoReader(body)
  const end = body.length
  const out: WriteRequest = { body, series: [], metadata: [] }
  while (r.pos < end) {
    const tag = r.tag(end)
    if (tag >>> 3 === 1 || tag >>> 3 === 3) {
      r.expect(tag, WIRE_LEN, tag >>> 3 === 1 ? 'WriteRequest.timeseries' : 'WriteRequest.metadata')
      const stop = r.delimited(end)
      if (tag >>> 3 === 1) out.series.push(r.pos, stop)
      else out.metadata.push(readMetadata(r, stop))
      r.pos = stop
    } else r.skip(tag & 7, end)
  }
  return out
}

/** One series as read from the body; one instance is reused for every series. */
export class SeriesState {
  /** Per label, four offsets into the body: name start and end, value start and end (each a String: length prefix and bytes). */
  readonly labels: number[] = []
  /** Sample values and their timestamps in milliseconds (stale markers left out). */
  readonly values: number[] = []
  readonly timestampsMs: number[] = []
  /** Native histogram samples, which this receiver does not store. */
  histograms = 0
  /** Stale markers seen (and dropped): they end a series, they are not samples. */
  staleMarkers = 0

  /** Reads a TimeSeries message; with `samples` false, only its labels. */
  read(r: ProtoReader, end: number, samples: boolean): void {
    this.labels.length = this.values.length = this.timestampsMs.length = 0
    this.histograms = this.staleMarkers = 0
    while (r.pos < end) {
      const tag = r.tag(end)
      const field = tag >>> 3
      if (field === 1) {
        r.expect(tag, WIRE_LEN, 'TimeSeries.labels')
        const stop = r.delimited(end)
        this.readLabel(r, stop)
        r.pos = stop
      } else if (field === 2 && samples) {
        r.expect(tag, WIRE_LEN, 'TimeSeries.samples')
        const stop = r.delimited(end)
        this.readSample(r, stop)
        r.pos = stop
      } else if (field === 4) {
        this.histograms++
        r.skip(tag & 7, end)
      } else r.skip(tag & 7, end)
    }
  }

  private readLabel(r: ProtoReader, end: number): void {
    const empty = -1
    let name = empty
    let nameEnd = empty
    let value = empty
    let valueEnd = empty
    while (r.pos < end) {
      const t = r.tag(end)
      if (t >>> 3 === 1 || t >>> 3 === 2) {
        r.expect(t, WIRE_LEN, 'Label')
        const start = r.pos
        r.pos = r.delimited(end)
        if (t >>> 3 === 1) {
          name = start
          nameEnd = r.pos
        } else {
          value = start
          valueEnd = r.pos
        }
      } else r.skip(t & 7, end)
    }
    this.labels.push(name, nameEnd, value, valueEnd)
  }

  private readSample(r: ProtoReader, end: number): void {
    let value = 0
    let stale = false
    let ts = 0
    while (r.pos < end) {
      const t = r.tag(end)
      if (t >>> 3 === 1) {
        r.expect(t, WIRE_FIXED64, 'Sample.value')
        // Checked on the raw bits: a NaN's payload does not survive a JavaScript number.
        stale = r.pos + 8 <= r.buf.length && r.buf.readUInt32LE(r.pos) === STALE_NAN_LO && r.buf.readUInt32LE(r.pos + 4) === STALE_NAN_HI
        value = r.double()
      } else if (t >>> 3 === 2) {
        r.expect(t, WIRE_VARINT, 'Sample.timestamp')
        r.varint64()
        ts = int64ToNumber(r.lo, r.hi)
      } else r.skip(t & 7, end)
    }
    if (stale) this.staleMarkers++
    else {
      this.values.push(value)
      this.timestampsMs.push(ts)
    }
  }
}

function readMetadata(r: ProtoReader, end: number): Metadata {
  const m: Metadata = { type: 0, family: '', help: '', unit: '' }
  while (r.pos < end) {
    const tag = r.tag(end)
    switch (tag >>> 3) {
      case 1:
        r.expect(tag, WIRE_VARINT, 'MetricMetadata.type')
        m.type = r.varint32()
        break
      case 2:
        r.expect(tag, WIRE_LEN, 'MetricMetadata.metric_family_name')
        m.family = r.string(end)
        break
      case 4:
        r.expect(tag, WIRE_LEN, 'MetricMetadata.help')
        m.help = r.string(end)
        break
      case 5:
        r.expect(tag, WIRE_LEN, 'MetricMetadata.unit')
        m.unit = r.string(end)
        break
      default:
        r.skip(tag & 7, end)
    }
  }
  return m
}

export { DecodeError }

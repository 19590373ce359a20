// Prometheus series → the exporter's metric tables. A series becomes one row per
// sample: counters (and the _bucket/_sum/_count series of classic histograms and
// summaries) in otel_metrics_sum as monotonic cumulative sums, everything else
// in otel_metrics_gauge. job → service.name, instance → service.instance.id
// (resource attributes, as the OpenTelemetry Prometheus receiver does); the
// other labels, le and quantile included, become the point's attributes.
// Types come from the metadata Prometheus sends; without it, a name ending in
// _total is a counter and a _bucket series with an le label marks its family
// as a histogram. Rows are RowBinary in the columns collector/tables.ts
// declares; label names and values are copied from the body as they are.

import { OTEL_TABLES } from '../../storage/index.ts'
import { BinaryWriter, stringBytes } from '../rows/binary.ts'
import { flatRows } from '../rows/flat.ts'
import { Decoded, type TimeBounds } from '../otlp/decoded.ts'
import { writeFloat } from '../otlp/metric-points.ts'
import { ProtoReader } from '../otlp/proto-reader.ts'
import { METRIC_TYPE, SeriesState, scanWriteRequest, type Metadata, type WriteRequest } from './decode.ts'

const MAX_FAMILIES = 100_000

interface Family extends Metadata {
  /** help and unit as RowBinary Strings */
  helpBytes: Buffer
  unitBytes: Buffer
}

/** Metric metadata from earlier requests (Prometheus sends it apart from samples, about once a minute). */
export class MetadataCache {
  private readonly families = new Map<string, Family>()
  /** Changes with every remembered entry: a parse worker rebuilds its copy when it differs. */
  private version = 0
  private snapshotCache: MetadataSnapshot | undefined

  /** Every family, for a parse worker; the same object until something changes. */
  snapshot(): MetadataSnapshot {
    if (this.snapshotCache?.version !== this.version) {
      this.snapshotCache = { version: this.version, entries: [...this.families.values()].map(({ type, family, help, unit }) => ({ type, family, help, unit })) }
    }
    return this.snapshotCache
  }

  remember(m: Metadata): void {
    if (!m.family) return
    const known = this.families.get(m.family)
    if (known && known.type === m.type && known.help === m.help && known.unit === m.unit) return
    this.version++
    if (!this.families.has(m.family) && this.families.size >= MAX_FAMILIES) {
      const oldest = this.families.keys().next().value
      if (oldest !== undefined) this.families.delete(oldest)
    }
    this.families.set(m.family, { ...m, helpBytes: stringBytes(m.help), unitBytes: stringBytes(m.unit) })
  }

  /** The family a series name belongs to: itself, or its base without a histogram/summary suffix. */
  lookup(name: string): Family | undefined {
    const exact = this.families.get(name)
    if (exact) return exact
    const base = name.replace(/_(bucket|sum|count|total)$/, '')
    const family = this.families.get(base)
    if (family && family.type !== METRIC_TYPE.gauge && family.type !== METRIC_TYPE.unknown) return family
    return undefined
  }
}

export interface MetadataSnapshot {
  version: number
  entries: Metadata[]
}

type Kind = 'sum' | 'gauge'

function kindOf(name: string, hasQuantile: boolean, meta: Metadata | undefined, histogramFamilies: () => Set<string>): Kind {
  if (meta) {
    switch (meta.type) {
      case METRIC_TYPE.counter:
        return 'sum'
      case METRIC_TYPE.histogram:
        return /_(bucket|sum|count)$/.test(name) ? 'sum' : 'gauge'
      case METRIC_TYPE.summary:
        return hasQuantile ? 'gauge' : 'sum'
      default:
        return 'gauge'
    }
  }
  if (name.endsWith('_total')) return 'sum'
  const base = name.replace(/_(bucket|sum|count)$/, '')
  return base !== name && histogramFamilies().has(base) ? 'sum' : 'gauge'
}

// ---- labels, as byte ranges of the body ----

const NAME = stringBytes('__name__')
const JOB = stringBytes('job')
const INSTANCE = stringBytes('instance')
const LE = stringBytes('le')
const QUANTILE = stringBytes('quantile')
const SERVICE_NAME = stringBytes('service.name')
const SERVICE_INSTANCE_ID = stringBytes('service.instance.id')
const EMPTY_STRING = Buffer.from([0])

/** Whether the String at buf[start, end) (absent: start < 0, the empty string) is `s` (a String's bytes, minimally encoded). */
function isString(buf: Buffer, start: number, end: number, s: Buffer): boolean {
  if (start < 0) return s.length === 1 && s[0] === 0
  if (end - start !== s.length) return false
  for (let i = 0; i < s.length; i++) if (buf[start + i] !== s[i]) return false
  return true
}

/** Compares two Strings of the body by their bytes (absent ones are empty): negative, 0 or positive. */
function compareStrings(buf: Buffer, a: number, aEnd: number, b: number, bEnd: number): number {
  const aStart = a < 0 ? aEnd : contentStart(buf, a)
  const bStart = b < 0 ? bEnd : contentStart(buf, b)
  const n = Math.min(aEnd - aStart, bEnd - bStart)
  for (let i = 0; i < n; i++) {
    const d = buf[aStart + i]! - buf[bStart + i]!
    if (d !== 0) return d
  }
  return aEnd - aStart - (bEnd - bStart)
}

/** Where the bytes of the String at `at` start (after its length prefix). */
function contentStart(buf: Buffer, at: number): number {
  while (buf[at]! >= 0x80) at++
  return at + 1
}

const isEmpty = (buf: Buffer, start: number, end: number) => start < 0 || contentStart(buf, start) === end

function writeString(w: BinaryWriter, buf: Buffer, start: number, end: number): void {
  if (start < 0) w.u8(0)
  else w.raw(buf, start, end)
}

/**
 * The labels of one series, as a map would hold them: a name given twice keeps
 * its first place and its last value. Prometheus sends names sorted, so each
 * once: checked on neighbours; when they are not sorted, one Map from name to
 * label finds repeats (linear: a search per label would be quadratic, and
 * 20,000 labels in descending order held the process for seconds).
 */
class LabelView {
  buf: Buffer = EMPTY_STRING
  labels: number[] = []
  /** Per label (index / 4), when names repeat: whether it keeps its place, and the label whose value it takes. */
  private readonly keep: boolean[] = []
  private readonly valueAt: number[] = []
  unique = true
  name = -1
  job = -1
  instance = -1
  hasQuantile = false
  hasLe = false
  attributes = 0

  load(buf: Buffer, labels: number[]): void {
    this.buf = buf
    this.labels = labels
    let sorted = true
    for (let i = 4; i < labels.length && sorted; i += 4) sorted = compareStrings(buf, labels[i - 4]!, labels[i - 3]!, labels[i]!, labels[i + 1]!) < 0
    this.unique = sorted || this.findRepeats()
    this.name = this.job = this.instance = -1
    this.hasQuantile = this.hasLe = false
    this.attributes = 0
    for (let i = 0; i < labels.length; i += 4) {
      if (!this.kept(i)) continue
      const [s, e] = [labels[i]!, labels[i + 1]!]
      if (isString(buf, s, e, NAME)) this.name = this.valueOf(i)
      else if (isString(buf, s, e, JOB)) this.job = this.valueOf(i)
      else if (isString(buf, s, e, INSTANCE)) this.instance = this.valueOf(i)
      else {
        if (isString(buf, s, e, QUANTILE)) this.hasQuantile = true
        else if (isString(buf, s, e, LE)) this.hasLe = true
        this.attributes++
      }
    }
  }

  /** Fills keep and valueAt in one pass; true when no name repeats. */
  private findRepeats(): boolean {
    const { buf, labels } = this
    const first = new Map<string, number>()
    this.keep.length = this.valueAt.length = 0
    let unique = true
    for (let i = 0; i < labels.length; i += 4) {
      const s = labels[i]!
      const key = s < 0 ? '' : buf.toString('latin1', contentStart(buf, s), labels[i + 1]!)
      const at = first.get(key)
      if (at === undefined) {
        first.set(key, i)
        this.keep.push(true)
        this.valueAt.push(i)
      } else {
        unique = false
        this.keep.push(false)
        this.valueAt.push(i)
        this.valueAt[at / 4] = i
      }
    }
    return unique
  }

  /** Whether the label at `i` holds its name's place (the first with that name). */
  kept(i: number): boolean {
    return this.unique || this.keep[i / 4]!
  }

  /** The label whose value the name at `i` takes. */
  valueOf(i: number): number {
    return this.unique ? i : this.valueAt[i / 4]!
  }

  /** Whether label `at` (-1: none) has a non-empty value. */
  present(at: number): boolean {
    return at >= 0 && !isEmpty(this.buf, this.labels[at + 2]!, this.labels[at + 3]!)
  }

  writeValue(w: BinaryWriter, at: number): void {
    if (at < 0) w.u8(0)
    else writeString(w, this.buf, this.labels[at + 2]!, this.labels[at + 3]!)
  }

  /** The labels other than __name__, job and instance, as a Map. */
  writeAttributes(w: BinaryWriter): void {
    w.varint(this.attributes)
    const { buf, labels } = this
    for (let i = 0; i < labels.length; i += 4) {
      if (!this.kept(i)) continue
      const [s, e] = [labels[i]!, labels[i + 1]!]
      if (isString(buf, s, e, NAME) || isString(buf, s, e, JOB) || isString(buf, s, e, INSTANCE)) continue
      writeString(w, buf, s, e)
      this.writeValue(w, this.valueOf(i))
    }
  }

  nameText(): string {
    if (this.name < 0) return ''
    const s = this.labels[this.name + 2]!
    return s < 0 ? '' : this.buf.toString('utf8', contentStart(this.buf, s), this.labels[this.name + 3])
  }
}

// ---- rows ----

const series = new SeriesState()
const labelView = new LabelView()
const scanned = new SeriesState()
const scannedLabels = new LabelView()
const head = new BinaryWriter(4 * 1024)

/** Latest sample time that fits DateTime64(9) (year 2262), in milliseconds. */
const MAX_MS = 9_223_372_036_854

export function mapWriteRequest(body: Buffer, cache: MetadataCache, bounds?: TimeBounds): Decoded {
  const req = scanWriteRequest(body)
  for (const m of req.metadata) cache.remember(m)
  const out = new Decoded(bounds)
  const r = new ProtoReader(body)
  const kinds = new SeriesKinds(req, cache)
  for (let i = 0; i < req.series.length; i += 2) {
    r.pos = req.series[i]!
    series.read(r, req.series[i + 1]!, true)
    labelView.load(body, series.labels)
    writeSeries(out, labelView.nameText(), kinds)
  }
  return out
}

/** A series' family metadata and table, worked out once per name (and quantile label) in a request. */
class SeriesKinds {
  private readonly known = [new Map<string, [Family | undefined, Kind]>(), new Map<string, [Family | undefined, Kind]>()]
  private histogramFamilies: Set<string> | undefined

  constructor(
    private readonly req: WriteRequest,
    private readonly cache: MetadataCache,
  ) {}

  of(name: string, hasQuantile: boolean): [Family | undefined, Kind] {
    const known = this.known[hasQuantile ? 1 : 0]!
    let k = known.get(name)
    if (!k) {
      const meta = this.cache.lookup(name)
      known.set(name, (k = [meta, kindOf(name, hasQuantile, meta, () => this.families())]))
    }
    return k
  }

  /** Classic histograms without metadata: a _bucket series with an le label marks its family (read once, when first needed). */
  private families(): Set<string> {
    if (this.histogramFamilies) return this.histogramFamilies
    const families = (this.histogramFamilies = new Set<string>())
    const { body, series: ranges } = this.req
    // Its own reader and state: the series being written keeps the shared ones.
    const r = new ProtoReader(body)
    for (let i = 0; i < ranges.length; i += 2) {
      r.pos = ranges[i]!
      scanned.read(r, ranges[i + 1]!, false)
      scannedLabels.load(body, scanned.labels)
      const name = scannedLabels.nameText()
      if (name.endsWith('_bucket') && scannedLabels.hasLe) families.add(name.slice(0, -'_bucket'.length))
    }
    return families
  }
}

/** Writes the columns of a series' rows up to its samples' times into `head`. */
function writeHead(labels: LabelView, meta: Family | undefined): void {
  const h = head
  h.reset()
  const job = labels.present(labels.job)
  const instance = labels.present(labels.instance)
  h.varint((job ? 1 : 0) + (instance ? 1 : 0))
  if (job) {
    h.raw(SERVICE_NAME, 0, SERVICE_NAME.length)
    labels.writeValue(h, labels.job)
  }
  if (instance) {
    h.raw(SERVICE_INSTANCE_ID, 0, SERVICE_INSTANCE_ID.length)
    labels.writeValue(h, labels.instance)
  }
  // ResourceSchemaUrl, ScopeName, ScopeVersion, ScopeAttributes, ScopeDroppedAttrCount (UInt32), ScopeSchemaUrl
  h.raw(EMPTY_SCOPE, 0, EMPTY_SCOPE.length)
  if (job) labels.writeValue(h, labels.job)
  else h.u8(0)
  labels.writeValue(h, labels.name)
  for (const b of [meta?.helpBytes ?? EMPTY_STRING, meta?.unitBytes ?? EMPTY_STRING]) h.raw(b, 0, b.length)
  labels.writeAttributes(h)
  h.u64(0, 0) // StartTimeUnix: unknown
}

const EMPTY_SCOPE = Buffer.from([0, 0, 0, 0, 0, 0, 0, 0, 0])
/** Flags 0 and five empty exemplar arrays, then (sums) cumulative temporality and monotonic. */
const GAUGE_TAIL = Buffer.from([0, 0, 0, 0, 0, 0, 0, 0, 0])
const SUM_TAIL = Buffer.from([0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 1])

function writeSeries(out: Decoded, name: string, kinds: SeriesKinds): void {
  const s = series
  if (s.histograms > 0) out.reject(`${name}: native histogram samples are not stored`, s.histograms)
  if (name === '') {
    out.reject('series without a __name__ label', s.values.length)
    return
  }
  if (s.values.length === 0) return
  const labels = labelView
  const [meta, kind] = kinds.of(name, labels.hasQuantile)
  writeHead(labels, meta)
  const tail = kind === 'sum' ? SUM_TAIL : GAUGE_TAIL
  const rows = flatRows(out.tables, kind === 'sum' ? OTEL_TABLES.sum : OTEL_TABLES.gauge)
  const w = rows.out
  const what = `${name}: sample`
  for (let i = 0; i < s.values.length; i++) {
    const ms = s.timestampsMs[i]!
    if (!(ms >= 0 && ms <= MAX_MS)) {
      out.reject(`${name}: sample timestamp out of range`)
      continue
    }
    // ms × 10⁶ as 64-bit halves, exactly: ms < 2^44, split at 2^22 so each product stays below 2^53.
    const high = Math.floor(ms / 4194304) * 1e6
    const lowPart = (high % 1024) * 4194304 + (ms % 4194304) * 1e6
    const lo = lowPart % 4294967296
    const hi = Math.floor(high / 1024) + Math.floor(lowPart / 4294967296)
    if (out.rejectUntimelyNs(lo, hi, what)) continue
    w.raw(head.buf, 0, head.pos)
    w.u64(lo, hi)
    writeFloat(w, s.values[i]!)
    w.raw(tail, 0, tail.length)
    rows.rows++
    out.accepted++
  }
}

// Prometheus series → the exporter's metric tables. A series becomes one row per
// sample: counters (and the _bucket/_sum/_count series of classic histograms and
// summaries) in otel_metrics_sum as monotonic cumulative sums, everything else
// in otel_metrics_gauge. job → service.name, instance → service.instance.id
// (resource attributes, as the OpenTelemetry Prometheus receiver does); the
// other labels, le and quantile included, become the point's attributes.
// Types come from the metadata Prometheus sends; without it, a name ending in
// _total is a counter and a _bucket series with an le label marks its family
// as a histogram.

import { OTEL_TABLES } from '../../storage/index.ts'
import { MapText, tsvField } from '../rows/tsv.ts'
import { Decoded, nanosText, type Retention } from '../otlp/decoded.ts'
import { float } from '../otlp/metric-points.ts'
import { METRIC_TYPE, type Metadata, type Series, type WriteRequest } from './decode.ts'

const MAX_FAMILIES = 100_000

/** Metric metadata from earlier requests (Prometheus sends it apart from samples, about once a minute). */
export class MetadataCache {
  private readonly families = new Map<string, Metadata>()

  remember(m: Metadata): void {
    if (!m.family) return
    if (!this.families.has(m.family) && this.families.size >= MAX_FAMILIES) {
      const oldest = this.families.keys().next().value
      if (oldest !== undefined) this.families.delete(oldest)
    }
    this.families.set(m.family, m)
  }

  /** The family a series name belongs to: itself, or its base without a histogram/summary suffix. */
  lookup(name: string): Metadata | undefined {
    const exact = this.families.get(name)
    if (exact) return exact
    const base = name.replace(/_(bucket|sum|count|total)$/, '')
    const family = this.families.get(base)
    if (family && family.type !== METRIC_TYPE.gauge && family.type !== METRIC_TYPE.unknown) return family
    return undefined
  }
}

type Kind = 'sum' | 'gauge'

function kindOf(name: string, labels: Map<string, string>, meta: Metadata | undefined, histogramFamilies: Set<string>): Kind {
  if (meta) {
    switch (meta.type) {
      case METRIC_TYPE.counter:
        return 'sum'
      case METRIC_TYPE.histogram:
        return /_(bucket|sum|count)$/.test(name) ? 'sum' : 'gauge'
      case METRIC_TYPE.summary:
        return labels.has('quantile') ? 'gauge' : 'sum'
      default:
        return 'gauge'
    }
  }
  if (name.endsWith('_total')) return 'sum'
  const base = name.replace(/_(bucket|sum|count)$/, '')
  return base !== name && histogramFamilies.has(base) ? 'sum' : 'gauge'
}

export function mapWriteRequest(req: WriteRequest, cache: MetadataCache, retention?: Retention): Decoded {
  for (const m of req.metadata) cache.remember(m)
  const out = new Decoded(retention)
  // Classic histograms without metadata: a _bucket series with le marks its family.
  const histogramFamilies = new Set<string>()
  for (const s of req.series) {
    const name = s.labels.get('__name__') ?? ''
    if (name.endsWith('_bucket') && s.labels.has('le')) histogramFamilies.add(name.slice(0, -'_bucket'.length))
  }
  for (const s of req.series) writeSeries(out, s, cache, histogramFamilies)
  return out
}

function writeSeries(out: Decoded, s: Series, cache: MetadataCache, histogramFamilies: Set<string>): void {
  const name = s.labels.get('__name__') ?? ''
  if (s.histograms > 0) out.reject(`${name}: native histogram samples are not stored`, s.histograms)
  if (name === '') {
    out.reject('series without a __name__ label', s.values.length)
    return
  }
  const meta = cache.lookup(name)
  const kind = kindOf(name, s.labels, meta, histogramFamilies)
  const job = s.labels.get('job') ?? ''
  const instance = s.labels.get('instance') ?? ''
  const resource = new MapText()
  if (job) resource.add('service.name', job)
  if (instance) resource.add('service.instance.id', instance)
  const attributes = new MapText()
  for (const [k, v] of s.labels) if (k !== '__name__' && k !== 'job' && k !== 'instance') attributes.add(k, v)
  // ResourceAttributes … MetricUnit (11 columns), then Attributes and StartTimeUnix (unknown: 0).
  const head = [resource.toString(), '', '', '', '{}', '0', '', tsvField(job), tsvField(name), tsvField(meta?.help ?? ''), tsvField(meta?.unit ?? ''), attributes.toString(), '0'.repeat(19)].join('\t')
  const tail = kind === 'sum' ? '\t0\t[]\t[]\t[]\t[]\t[]\t2\ttrue\n' : '\t0\t[]\t[]\t[]\t[]\t[]\n'
  const rows = out.rows(kind === 'sum' ? OTEL_TABLES.sum : OTEL_TABLES.gauge)
  for (let i = 0; i < s.values.length; i++) {
    const value = s.values[i]!
    const ms = s.timestampsMs[i]!
    const time = ms >= 0 ? nanosText(`${ms}000000`) : undefined
    if (time === undefined) {
      out.reject(`${name}: sample timestamp out of range`)
      continue
    }
    if (out.rejectExpired(time, `${name}: sample`)) continue
    rows.lines(`${head}\t${time}\t${float(value)}${tail}`, 1)
    out.accepted++
  }
}

import { Counter, Gauge, Histogram } from 'prom-client'
import type { Registry } from '../instrumentation/index.ts'
import type { FlushTrigger } from './batcher.ts'
import type { QueueObserver, QueueStats } from './queue/queue.ts'

export type Protocol = 'otlp_protobuf' | 'otlp_json' | 'prometheus_remote_write'

/** The collector's own metrics on /metrics. Labels: signal, protocol, table. */
export class CollectorMetrics implements QueueObserver {
  readonly received: Counter<'signal' | 'protocol'>
  readonly accepted: Counter<'signal' | 'protocol'>
  readonly rejected: Counter<'signal' | 'protocol' | 'reason'>
  readonly requests: Counter<'signal' | 'protocol' | 'status'>
  readonly truncated: Counter<'signal' | 'protocol' | 'what'>
  readonly bytesIn: Counter<'signal' | 'protocol'>
  private readonly batchRows: Histogram<'table'>
  private readonly flushSeconds: Histogram<'table' | 'outcome'>
  private readonly flushes: Counter<'table' | 'trigger'>
  private readonly refusedRequests: Counter<'table'>
  private readonly queueRows: Gauge
  private readonly queueBytes: Gauge
  private readonly deadLetterRows: Counter<'table'>
  private queueStats: (() => QueueStats) | undefined

  constructor(registry: Registry) {
    const registers = [registry]
    this.received = new Counter({
      name: 'cairn_collector_items_received_total',
      help: 'Spans, log records and metric points (or samples) received, per signal and protocol',
      labelNames: ['signal', 'protocol'],
      registers,
    })
    this.accepted = new Counter({
      name: 'cairn_collector_items_accepted_total',
      help: 'Items acknowledged to the sender: on disk in the durable queue, or written to ClickHouse without it',
      labelNames: ['signal', 'protocol'],
      registers,
    })
    this.rejected = new Counter({
      name: 'cairn_collector_items_rejected_total',
      help: 'Items not stored: invalid (partial success), or refused with 429/503 (the sender may retry)',
      labelNames: ['signal', 'protocol', 'reason'],
      registers,
    })
    this.truncated = new Counter({
      name: 'cairn_collector_truncated_total',
      help: 'Cuts made to stored items by the collector.limits: what is attributes_dropped, keys_truncated, values_truncated or bodies_truncated',
      labelNames: ['signal', 'protocol', 'what'],
      registers,
    })
    this.requests = new Counter({
      name: 'cairn_collector_requests_total',
      help: 'Export requests by HTTP status',
      labelNames: ['signal', 'protocol', 'status'],
      registers,
    })
    this.bytesIn = new Counter({
      name: 'cairn_collector_received_bytes_total',
      help: 'Request body bytes received, as sent (before gzip or snappy decompression)',
      labelNames: ['signal', 'protocol'],
      registers,
    })
    this.batchRows = new Histogram({
      name: 'cairn_collector_batch_rows',
      help: 'Rows per insert into ClickHouse',
      labelNames: ['table'],
      buckets: [10, 100, 1000, 5000, 10_000, 50_000, 100_000, 500_000],
      registers,
    })
    this.flushSeconds = new Histogram({
      name: 'cairn_collector_flush_duration_seconds',
      help: 'Time to write one batch to ClickHouse',
      labelNames: ['table', 'outcome'],
      buckets: [0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    })
    this.flushes = new Counter({
      name: 'cairn_collector_flushes_total',
      help: 'Inserts started, by what triggered them: full (batchMaxRows/batchMaxBytes), quiet (the rows stopped coming), interval (flushIntervalMs), shutdown',
      labelNames: ['table', 'trigger'],
      registers,
    })
    this.refusedRequests = new Counter({
      name: 'cairn_collector_storage_refused_requests_total',
      help: "Requests whose rows ClickHouse refused (written on their own, apart from the batch's other requests): answered 400",
      labelNames: ['table'],
      registers,
    })
    this.queueRows = new Gauge({ name: 'cairn_collector_queue_rows', help: 'Rows acknowledged or waiting and not yet inserted into ClickHouse: on disk in the durable queue, in memory without it', registers })
    this.queueBytes = new Gauge({ name: 'cairn_collector_queue_bytes', help: 'Bytes of the rows counted by cairn_collector_queue_rows', registers })
    const owner = this
    const stat = (name: string, help: string, read: (s: QueueStats) => number) =>
      new Gauge({
        name,
        help,
        registers,
        // prom-client calls collect with the gauge as `this`, at each scrape.
        collect(this: Gauge) {
          const stats = owner.queueStats?.()
          if (stats) this.set(read(stats))
        },
      })
    stat('cairn_collector_queue_requests', 'Request parts (one per request and table) in the durable queue not yet inserted', (s) => s.requests)
    stat('cairn_collector_queue_segments', 'Segment files (one insert each) in the durable queue not yet inserted', (s) => s.segments)
    stat('cairn_collector_queue_oldest_age_seconds', 'Age of the oldest rows in the durable queue not yet inserted (0 when empty)', (s) => s.oldestAgeSeconds)
    this.deadLetterRows = new Counter({
      name: 'cairn_collector_queue_dead_letter_rows_total',
      help: 'Acknowledged rows ClickHouse refused when inserted from the queue (or corrupt on disk), set aside in the dead-letter directory',
      labelNames: ['table'],
      registers,
    })
  }

  /** Reads the durable queue's depth and oldest age at each scrape. */
  watchQueue(stats: () => QueueStats): void {
    this.queueStats = stats
  }

  deadLettered(table: string, rows: number): void {
    this.deadLetterRows.inc({ table }, rows)
  }

  queueChanged(rows: number, bytes: number): void {
    this.queueRows.set(rows)
    this.queueBytes.set(bytes)
  }

  flushStarted(table: string, trigger: FlushTrigger): void {
    this.flushes.inc({ table, trigger })
  }

  refused(table: string): void {
    this.refusedRequests.inc({ table })
  }

  flushed(table: string, rows: number, _bytes: number, seconds: number, ok: boolean): void {
    if (ok) this.batchRows.observe({ table }, rows)
    this.flushSeconds.observe({ table, outcome: ok ? 'ok' : 'error' }, seconds)
  }
}

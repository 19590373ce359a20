import { spawn, type ChildProcess } from 'node:child_process'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { compressSync } from 'snappy'
import { Counter, Gauge, Histogram, Registry, Summary } from 'prom-client'
import { afterAll, describe, expect, it } from 'vitest'
import { freePort } from '../support/ports.ts'
import { tempDir } from '../support/temp.ts'
import { requireTool } from '../support/needs.ts'
import { metricValue, sharedCollector } from './harness.ts'

const shared = sharedCollector()

// ---- a minimal protobuf writer for hand-made WriteRequests ----
const varint = (n: number): number[] => {
  const out: number[] = []
  let v = n
  while (v >= 0x80) {
    out.push((v % 0x80) | 0x80)
    v = Math.floor(v / 0x80)
  }
  return [...out, v]
}
const field = (num: number, bytes: Buffer) => Buffer.concat([Buffer.from([(num << 3) | 2, ...varint(bytes.length)]), bytes])
const label = (name: string, value: string) => field(1, Buffer.concat([field(1, Buffer.from(name)), field(2, Buffer.from(value))]))
function sample(value: number | Buffer, timestampMs: number): Buffer {
  const v = Buffer.alloc(8)
  if (Buffer.isBuffer(value)) value.copy(v)
  else v.writeDoubleLE(value)
  return field(2, Buffer.concat([Buffer.from([0x09]), v, Buffer.from([0x10, ...varint(timestampMs)])]))
}
const series = (labels: [string, string][], samples: Buffer[]) => field(1, Buffer.concat([...labels.map(([n, v]) => label(n, v)), ...samples]))
const metadata = (type: number, family: string, help: string) => field(3, Buffer.concat([Buffer.from([0x08, type]), field(2, Buffer.from(family)), field(4, Buffer.from(help))]))
const STALE = Buffer.from([0x02, 0, 0, 0, 0, 0, 0xf0, 0x7f])

const write = (body: Buffer, headers: Record<string, string> = {}) =>
  fetch(`${shared.c.url}/api/v1/write`, { method: 'POST', headers: { 'content-type': 'application/x-protobuf', 'content-encoding': 'snappy', 'x-prometheus-remote-write-version': '0.1.0', ...headers }, body })

describe('remote_write mapping', () => {
  it('maps counters, gauges and classic histogram series, and skips stale markers', async () => {
    const t = 1714557600000
    const body = Buffer.concat([
      metadata(1, 'rw_requests_total', 'Requests handled.'),
      series([['__name__', 'rw_requests_total'], ['job', 'api'], ['instance', 'api-1:9090'], ['code', '200']], [sample(10, t), sample(12, t + 15000), sample(STALE, t + 30000)]),
      series([['__name__', 'rw_queue_depth'], ['job', 'api'], ['instance', 'api-1:9090']], [sample(3.5, t)]),
      series([['__name__', 'rw_latency_seconds_bucket'], ['job', 'api'], ['le', '0.25']], [sample(7, t)]),
      series([['__name__', 'rw_latency_seconds_count'], ['job', 'api']], [sample(9, t)]),
    ])
    const res = await write(compressSync(body))
    expect(res.status).toBe(204)
    const sums = await shared.h.storage.query(
      `SELECT MetricName, Value, Attributes, ResourceAttributes, ServiceName, MetricDescription, AggregationTemporality, IsMonotonic, toString(toUnixTimestamp64Milli(TimeUnix)) AS ms
       FROM otel_metrics_sum WHERE MetricName LIKE 'rw\\_%' ORDER BY MetricName, TimeUnix`,
    )
    expect(sums).toEqual([
      { MetricName: 'rw_latency_seconds_bucket', Value: 7, Attributes: { le: '0.25' }, ResourceAttributes: { 'service.name': 'api' }, ServiceName: 'api', MetricDescription: '', AggregationTemporality: 2, IsMonotonic: true, ms: String(t) },
      { MetricName: 'rw_latency_seconds_count', Value: 9, Attributes: {}, ResourceAttributes: { 'service.name': 'api' }, ServiceName: 'api', MetricDescription: '', AggregationTemporality: 2, IsMonotonic: true, ms: String(t) },
      ...[10, 12].map((v, i) => ({
        MetricName: 'rw_requests_total',
        Value: v,
        Attributes: { code: '200' },
        ResourceAttributes: { 'service.name': 'api', 'service.instance.id': 'api-1:9090' },
        ServiceName: 'api',
        MetricDescription: 'Requests handled.',
        AggregationTemporality: 2,
        IsMonotonic: true,
        ms: String(t + i * 15000),
      })),
    ])
    const gauges = await shared.h.storage.query(`SELECT MetricName, Value FROM otel_metrics_gauge WHERE MetricName LIKE 'rw\\_%'`)
    expect(gauges).toEqual([{ MetricName: 'rw_queue_depth', Value: 3.5 }])
    expect(await metricValue(shared.c.registry, 'cairn_collector_items_accepted_total', { protocol: 'prometheus_remote_write' })).toBe(5)
  })

  it('keeps NaN and ±Inf samples, the last value of a label sent twice, and times up to the end of DateTime64(9)', async () => {
    const t = 1714557600000
    const lastMs = 9223372036854 // 2262-04-11T23:47:16.854Z: the last millisecond DateTime64(9) holds
    const body = Buffer.concat([
      // Unsorted, with z twice (it keeps its first place and its last value) and an empty instance.
      series([['job', 'edge'], ['__name__', 'rw_edge'], ['z', 'first'], ['a', '1'], ['z', 'last'], ['instance', '']], [sample(NaN, t), sample(Infinity, t + 1), sample(-Infinity, t + 2), sample(4, lastMs), sample(5, lastMs + 1)]),
    ])
    const rejectedBefore = await metricValue(shared.c.registry, 'cairn_collector_items_rejected_total', { protocol: 'prometheus_remote_write' })
    const res = await write(compressSync(body))
    expect(res.status).toBe(204)
    const rows = await shared.h.storage.query(
      `SELECT toString(Value) AS v, toString(toUnixTimestamp64Milli(TimeUnix)) AS ms, Attributes, mapKeys(Attributes) AS keys, ResourceAttributes, ServiceName, toString(toUnixTimestamp64Nano(StartTimeUnix)) AS start
       FROM otel_metrics_gauge WHERE MetricName = 'rw_edge' ORDER BY TimeUnix`,
    )
    expect(rows.map((r) => [r.v, r.ms])).toEqual([
      ['nan', String(t)],
      ['inf', String(t + 1)],
      ['-inf', String(t + 2)],
      ['4', String(lastMs)],
    ])
    expect(rows[0]).toMatchObject({ Attributes: { z: 'last', a: '1' }, keys: ['z', 'a'], ResourceAttributes: { 'service.name': 'edge' }, ServiceName: 'edge', start: '0' })
    expect(await metricValue(shared.c.registry, 'cairn_collector_items_rejected_total', { protocol: 'prometheus_remote_write' })).toBe(rejectedBefore + 1)
  })

  it('answers bad bodies with 400, other encodings with 415, and keeps serving', async () => {
    const cases: [string, Promise<Response>, number, RegExp][] = [
      ['not snappy', write(Buffer.from([0x05, 0xff, 0xff])), 400, /snappy/],
      ['claims a huge size', write(Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f, 1, 2])), 413, /over the limit/],
      ['truncated protobuf', write(compressSync(Buffer.from([0x0a, 0x20, 0x0a]))), 400, /cannot decode the WriteRequest/],
      ['gzip instead of snappy', write(Buffer.from('x'), { 'content-encoding': 'gzip' }), 415, /snappy/],
      ['JSON', write(Buffer.from('{}'), { 'content-type': 'application/json' }), 415, /x-protobuf/],
    ]
    for (const [what, pending, status, message] of cases) {
      const res = await pending
      expect(res.status, what).toBe(status)
      expect(await res.text(), what).toMatch(message)
    }
    expect((await write(compressSync(series([['__name__', 'rw_after'], ['job', 'x']], [sample(1, 1714557600000)])))).status).toBe(204)
  })
})

requireTool('prometheus').describe('a real Prometheus', () => {
  let target: Server
  let prometheus: ChildProcess | undefined
  const dir = tempDir('cairn-prometheus-')
  afterAll(async () => {
    prometheus?.kill('SIGKILL')
    await new Promise((resolve) => target?.close(resolve))
    dir.remove()
  })

  it('scrapes a target and remote_writes its samples to the collector', async () => {
    const registry = new Registry()
    const orders = new Counter({ name: 'shop_orders_total', help: 'Orders placed.', labelNames: ['region'], registers: [registry] })
    orders.inc({ region: 'eu' }, 42)
    new Gauge({ name: 'shop_cart_items', help: 'Items in carts.', registers: [registry] }).set(7)
    const latency = new Histogram({ name: 'shop_latency_seconds', help: 'Checkout latency.', buckets: [0.1, 0.5], registers: [registry] })
    for (const v of [0.05, 0.3, 2]) latency.observe(v)
    new Summary({ name: 'shop_payload_bytes', help: 'Payload size.', percentiles: [0.5], registers: [registry] }).observe(100)
    target = createServer(async (_req, res) => {
      res.writeHead(200, { 'content-type': registry.contentType })
      res.end(await registry.metrics())
    })
    await new Promise<void>((resolve) => target.listen(0, '127.0.0.1', resolve))
    const targetAddress = `127.0.0.1:${(target.address() as AddressInfo).port}`
    const config = join(dir.path, 'prometheus.yml')
    writeFileSync(
      config,
      [
        'global: { scrape_interval: 1s }',
        'scrape_configs:',
        `  - { job_name: shop, static_configs: [ { targets: ["${targetAddress}"] } ] }`,
        'remote_write:',
        `  - url: ${shared.c.url}/api/v1/write`,
        '    queue_config: { batch_send_deadline: 1s, min_backoff: 100ms }',
        '    metadata_config: { send: true, send_interval: 1s }',
      ].join('\n'),
    )
    prometheus = spawn('prometheus', [`--config.file=${config}`, `--storage.tsdb.path=${join(dir.path, 'data')}`, `--web.listen-address=127.0.0.1:${await freePort()}`], { stdio: 'ignore' })

    // Wait for samples that came with their metadata (help text).
    const deadline = Date.now() + 45_000
    let rows: Record<string, unknown>[] = []
    while (Date.now() < deadline) {
      rows = await shared.h.storage.query(
        "SELECT MetricName, Value, Attributes, ResourceAttributes, ServiceName, MetricDescription FROM otel_metrics_sum WHERE MetricName = 'shop_orders_total' AND MetricDescription != '' LIMIT 1",
      )
      if (rows.length > 0) break
      await new Promise((resolve) => setTimeout(resolve, 500))
    }
    expect(rows).toEqual([
      { MetricName: 'shop_orders_total', Value: 42, Attributes: { region: 'eu' }, ResourceAttributes: { 'service.name': 'shop', 'service.instance.id': targetAddress }, ServiceName: 'shop', MetricDescription: 'Orders placed.' },
    ])
    const buckets = await shared.h.storage.query<{ le: string; v: number }>(
      "SELECT Attributes['le'] AS le, any(Value) AS v FROM otel_metrics_sum WHERE MetricName = 'shop_latency_seconds_bucket' GROUP BY le ORDER BY le",
    )
    expect(buckets).toEqual([
      { le: '+Inf', v: 3 },
      { le: '0.1', v: 1 },
      { le: '0.5', v: 2 },
    ])
    const gauges = await shared.h.storage.query("SELECT DISTINCT MetricName, Value FROM otel_metrics_gauge WHERE MetricName IN ('shop_cart_items', 'up') ORDER BY MetricName")
    expect(gauges).toEqual([
      { MetricName: 'shop_cart_items', Value: 7 },
      { MetricName: 'up', Value: 1 },
    ])
  })
})

import { randomUUID } from 'node:crypto'
import { ProxyTracerProvider, type Span, type Tracer } from '@opentelemetry/api'
import { ExportResultCode, type ExportResult } from '@opentelemetry/core'
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http'
import { defaultResource, detectResources, envDetector, resourceFromAttributes } from '@opentelemetry/resources'
import { AlwaysOnSampler, BasicTracerProvider, BatchSpanProcessor, type ReadableSpan, type SpanExporter, type SpanProcessor } from '@opentelemetry/sdk-trace-base'
import { Counter } from 'prom-client'
import type { Logger } from './logger.ts'
import type { Registry } from './metrics.ts'
import type { SelfTraceTarget } from './self-target.ts'

export type { Span, Tracer }

export interface SelfTracingOptions {
  logger: Logger
  registry: Registry
  /** What this process runs, as the resource attribute cairn.roles (collector,engine,api). */
  roles: readonly string[]
  /** BatchSpanProcessor delay between exports (default OTEL_BSP_SCHEDULE_DELAY or 5000 ms). */
  exportDelayMs?: number
}

/**
 * The traces of one cairn process. Components take their tracer from here when
 * they are built; spans go nowhere until `start` names the target (the
 * collector's port is known only once it listens). One provider per service,
 * nothing registered globally, so two services in one process stay apart.
 */
export interface SelfTracing {
  tracer(component: string): Tracer
  /** Starts exporting to `target` (a no-op for `off`). Call once. */
  start(target: SelfTraceTarget): void
  /** Exports the spans ended so far, before the collector they go to stops; gives up after `timeoutMs`. */
  flush(timeoutMs: number): Promise<void>
  /** Ends tracing. Spans ended after `flush` are sent to an external target, dropped when they would go to our stopped collector. */
  shutdown(): Promise<void>
}

export function createSelfTracing(options: SelfTracingOptions): SelfTracing {
  const proxy = new ProxyTracerProvider()
  const registers = [options.registry]
  const recorded = new Counter({ name: 'cairn_self_spans_recorded_total', help: "Spans of cairn's own requests recorded (ended)", registers })
  const exported = new Counter({
    name: 'cairn_self_spans_exported_total',
    help: "Spans of cairn's own requests exported, by outcome (failed: dropped after the exporter's retries). Recorded minus exported: dropped from a full queue, or still queued",
    labelNames: ['outcome'],
    registers,
  })
  let provider: BasicTracerProvider | undefined
  let ownCollector = false
  let closing = false
  return {
    tracer: (component) => proxy.getTracer(`cairn.${component}`),
    start(target) {
      if (target.kind === 'off') {
        options.logger.info({ reason: target.reason }, 'self-traces off')
        return
      }
      // In `environment` mode the exporter reads the URL, headers and timeouts from OTEL_EXPORTER_OTLP_*; ours add the marker.
      ownCollector = target.kind === 'own-collector'
      const exporter = new OTLPTraceExporter({ url: ownCollector ? target.url : undefined, headers: target.headers })
      const batches = new BatchSpanProcessor(countedExporter(exporter, exported, options.logger, () => closing && ownCollector), { scheduledDelayMillis: options.exportDelayMs })
      provider = new BasicTracerProvider({
        resource: resource(options.roles),
        // SLOs count requests: every request is recorded, whatever a caller's sampled flag says, unless
        // OTEL_TRACES_SAMPLER asks otherwise (a ratio sampler keeps SLIs unbiased at a fraction of the cost).
        ...(process.env.OTEL_TRACES_SAMPLER ? {} : { sampler: new AlwaysOnSampler() }),
        spanProcessors: [countedProcessor(batches, recorded)],
      })
      proxy.setDelegate(provider)
      options.logger.info({ target: target.kind, url: target.url }, 'self-traces on')
    },
    async flush(timeoutMs) {
      let timer: NodeJS.Timeout | undefined
      const timeout = new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)))
      // A collector that cannot store (503) makes the exporter retry: shutdown must not wait for that.
      await Promise.race([provider?.forceFlush(), timeout]).finally(() => clearTimeout(timer))
    },
    async shutdown() {
      closing = true
      await provider?.shutdown()
    },
  }
}

/** service.name cairn unless OTEL_SERVICE_NAME / OTEL_RESOURCE_ATTRIBUTES say otherwise. */
function resource(roles: readonly string[]) {
  const ours = resourceFromAttributes({ 'service.name': 'cairn', 'service.instance.id': randomUUID(), 'cairn.roles': roles.join(',') })
  return defaultResource().merge(ours).merge(detectResources({ detectors: [envDetector] }))
}

function countedProcessor(inner: SpanProcessor, counter: Counter): SpanProcessor {
  return {
    onStart: (span, parent) => inner.onStart(span, parent),
    onEnd(span) {
      counter.inc()
      inner.onEnd(span)
    },
    forceFlush: () => inner.forceFlush(),
    shutdown: () => inner.shutdown(),
  }
}

/** Counts what the exporter did with each batch and logs failures, at most once a minute. */
function countedExporter(inner: SpanExporter, counter: Counter<'outcome'>, logger: Logger, discard: () => boolean): SpanExporter {
  let lastWarnMs = 0
  return {
    export(spans: ReadableSpan[], done: (result: ExportResult) => void) {
      // Our collector has stopped: retrying against its closed port would only hold up the exit.
      if (discard()) return done({ code: ExportResultCode.FAILED })
      inner.export(spans, (result) => {
        const ok = result.code === ExportResultCode.SUCCESS
        counter.inc({ outcome: ok ? 'ok' : 'failed' }, spans.length)
        if (!ok && Date.now() - lastWarnMs > 60_000) {
          lastWarnMs = Date.now()
          logger.warn({ spans: spans.length, err: result.error?.message }, 'self-traces: export failed; spans dropped')
        }
        done(result)
      })
    },
    // Shutting down waits for exports in flight, retries included, unless they only go to our stopped collector.
    shutdown: () => (discard() ? (void inner.shutdown().catch(() => undefined), Promise.resolve()) : inner.shutdown()),
    forceFlush: () => inner.forceFlush?.() ?? Promise.resolve(),
  }
}

/** A tracer that records nothing, for components built without a SelfTracing (tests, benchmarks). */
export function noopTracer(): Tracer {
  return new ProxyTracerProvider().getTracer('cairn.noop')
}

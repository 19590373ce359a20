import { trace, SpanStatusCode, type Span, type Tracer } from '@opentelemetry/api'
import { NodeSDK } from '@opentelemetry/sdk-node'
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http'

export type { Span, Tracer }

/**
 * Starts the OpenTelemetry SDK when OTEL_EXPORTER_OTLP_ENDPOINT (or the traces-only
 * variant) is set; otherwise tracing stays a no-op. Cairn traces its own work
 * explicitly (requests, flushes, evaluation ticks) rather than through
 * auto-instrumentation, which needs loader hooks in ESM.
 */
export function startTracing(env: Record<string, string | undefined> = process.env): { shutdown(): Promise<void> } | undefined {
  if (!env.OTEL_EXPORTER_OTLP_ENDPOINT && !env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) return undefined
  const sdk = new NodeSDK({
    serviceName: env.OTEL_SERVICE_NAME ?? 'cairn',
    traceExporter: new OTLPTraceExporter(),
    instrumentations: [],
  })
  sdk.start()
  return { shutdown: () => sdk.shutdown() }
}

export function tracer(component: string): Tracer {
  return trace.getTracer(`cairn.${component}`)
}

/** Runs `fn` inside a span named `name`, recording failures on it. */
export async function withSpan<T>(t: Tracer, name: string, fn: (span: Span) => Promise<T>): Promise<T> {
  return t.startActiveSpan(name, async (span) => {
    try {
      return await fn(span)
    } catch (err) {
      span.recordException(err as Error)
      span.setStatus({ code: SpanStatusCode.ERROR, message: (err as Error).message })
      throw err
    } finally {
      span.end()
    }
  })
}

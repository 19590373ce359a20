export { createLogger, type Logger } from './logger.ts'
export { createMetricsRegistry, type Registry } from './metrics.ts'
export { startTracing, tracer, withSpan, type Span, type Tracer } from './tracing.ts'

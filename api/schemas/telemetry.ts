import { z } from '@hono/zod-openapi'

const Attributes = z.record(z.string(), z.string())

export const SpanSchema = z
  .object({
    traceId: z.string(),
    spanId: z.string(),
    parentSpanId: z.string().openapi({ description: 'empty for a root span' }),
    traceState: z.string(),
    name: z.string(),
    kind: z.string().openapi({ example: 'Server' }),
    serviceName: z.string(),
    startTime: z.string().openapi({ description: 'RFC 3339 with nanoseconds' }),
    startTimeUnixNano: z.string(),
    durationNs: z.string().openapi({ description: 'nanoseconds, as a string (64-bit)' }),
    status: z.object({ code: z.string().openapi({ example: 'Error' }), message: z.string() }),
    attributes: Attributes,
    resourceAttributes: Attributes,
    scope: z.object({ name: z.string(), version: z.string() }),
    events: z.array(z.object({ timeUnixNano: z.string(), name: z.string(), attributes: Attributes })),
    links: z.array(z.object({ traceId: z.string(), spanId: z.string(), traceState: z.string(), attributes: Attributes })),
  })
  .openapi('Span')

export interface SpanRow {
  startNs: string
  TraceId: string
  SpanId: string
  ParentSpanId: string
  TraceState: string
  SpanName: string
  SpanKind: string
  ServiceName: string
  ResourceAttributes: Record<string, string>
  ScopeName: string
  ScopeVersion: string
  SpanAttributes: Record<string, string>
  Duration: string
  StatusCode: string
  StatusMessage: string
  eventTimesNs: string[]
  eventNames: string[]
  eventAttributes: Record<string, string>[]
  linkTraceIds: string[]
  linkSpanIds: string[]
  linkTraceStates: string[]
  linkAttributes: Record<string, string>[]
}

/** RFC 3339 with all nine digits of a nanosecond timestamp. */
export function nanoIso(unixNano: string): string {
  const ns = BigInt(unixNano)
  const ms = Number(ns / 1_000_000n)
  const fraction = (ns % 1_000_000_000n).toString().padStart(9, '0')
  return `${new Date(ms).toISOString().slice(0, 19)}.${fraction}Z`
}

export function toSpan(r: SpanRow): z.infer<typeof SpanSchema> {
  return {
    traceId: r.TraceId,
    spanId: r.SpanId,
    parentSpanId: r.ParentSpanId,
    traceState: r.TraceState,
    name: r.SpanName,
    kind: r.SpanKind,
    serviceName: r.ServiceName,
    startTime: nanoIso(r.startNs),
    startTimeUnixNano: r.startNs,
    durationNs: r.Duration,
    status: { code: r.StatusCode, message: r.StatusMessage },
    attributes: r.SpanAttributes,
    resourceAttributes: r.ResourceAttributes,
    scope: { name: r.ScopeName, version: r.ScopeVersion },
    events: r.eventNames.map((name, i) => ({ timeUnixNano: r.eventTimesNs[i]!, name, attributes: r.eventAttributes[i] ?? {} })),
    links: r.linkTraceIds.map((traceId, i) => ({ traceId, spanId: r.linkSpanIds[i]!, traceState: r.linkTraceStates[i] ?? '', attributes: r.linkAttributes[i] ?? {} })),
  }
}

export const LogRecordSchema = z
  .object({
    time: z.string().openapi({ description: 'RFC 3339 with nanoseconds' }),
    timeUnixNano: z.string(),
    severityText: z.string(),
    severityNumber: z.number().int(),
    serviceName: z.string(),
    body: z.string(),
    traceId: z.string(),
    spanId: z.string(),
    attributes: Attributes,
    resourceAttributes: Attributes,
    scope: z.object({ name: z.string(), version: z.string() }),
  })
  .openapi('LogRecord')

export interface LogRow {
  timeNs: string
  SeverityText: string
  SeverityNumber: number
  ServiceName: string
  Body: string
  TraceId: string
  SpanId: string
  LogAttributes: Record<string, string>
  ResourceAttributes: Record<string, string>
  ScopeName: string
  ScopeVersion: string
}

export function toLogRecord(r: LogRow): z.infer<typeof LogRecordSchema> {
  return {
    time: nanoIso(r.timeNs),
    timeUnixNano: r.timeNs,
    severityText: r.SeverityText,
    severityNumber: Number(r.SeverityNumber),
    serviceName: r.ServiceName,
    body: r.Body,
    traceId: r.TraceId,
    spanId: r.SpanId,
    attributes: r.LogAttributes,
    resourceAttributes: r.ResourceAttributes,
    scope: { name: r.ScopeName, version: r.ScopeVersion },
  }
}

import type { Logger as ClientLogger } from '@clickhouse/client'
import type { Logger } from '../instrumentation/index.ts'

type Params = { module: string; message: string; args?: Record<string, unknown>; err?: Error }

/**
 * Sends @clickhouse/client's own log lines into cairn's JSON log instead of
 * stderr. Its warnings (a failed ping, a retried request) are logged at debug:
 * storage/ reports the failures that matter as errors of its own.
 */
export function clientLoggerClass(logger: Logger | undefined): new () => ClientLogger {
  const log = logger?.child({ component: 'clickhouse-client' })
  const write = (level: 'trace' | 'debug' | 'error') => (p: Params) => log?.[level]({ module: p.module, ...p.args, err: p.err }, p.message)
  return class implements ClientLogger {
    trace = write('trace')
    debug = write('debug')
    info = write('debug')
    warn = write('debug')
    error = write('error')
  }
}

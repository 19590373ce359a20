import { loadConfig } from '../../config/index.ts'
import { createLogger } from '../../instrumentation/index.ts'
import { startService, type Role } from '../service.ts'
import type { Command } from '../command.ts'

const ROLES: Record<string, { roles: Role[]; summary: string }> = {
  serve: { roles: ['collector', 'engine', 'api'], summary: 'run collector, SLO engine and API in one process (the embedded default)' },
  collector: { roles: ['collector'], summary: 'run only the OTLP/remote_write collector (scale out against a ClickHouse server)' },
  engine: { roles: ['engine'], summary: 'run only the SLO engine and alerting' },
  api: { roles: ['api'], summary: 'run only the HTTP API' },
}

/** Runs until SIGTERM or SIGINT, then stops gracefully (a second signal exits at once). */
async function runUntilSignal(roles: Role[]): Promise<number> {
  const config = loadConfig()
  const logger = createLogger(config.logLevel)
  const service = await startService(config, roles, logger)
  return new Promise<number>((resolve) => {
    let signalled = false
    const onSignal = (signal: NodeJS.Signals) => {
      if (signalled) {
        logger.warn({ signal }, 'second signal: exiting without draining')
        process.exit(130)
      }
      signalled = true
      logger.info({ signal }, 'shutdown requested')
      const timer = setTimeout(() => {
        logger.error({ timeoutMs: config.shutdownTimeoutMs }, 'shutdown timed out: exiting')
        process.exit(1)
      }, config.shutdownTimeoutMs)
      timer.unref()
      service.stop().then(
        () => resolve(0),
        (err) => {
          logger.error({ err }, 'shutdown failed')
          resolve(1)
        },
      )
    }
    process.on('SIGTERM', onSignal)
    process.on('SIGINT', onSignal)
  })
}

export const runCommands: Command[] = Object.entries(ROLES).map(([name, { roles, summary }]) => ({
  name,
  summary,
  usage: `cairn ${name}`,
  run: () => runUntilSignal(roles),
}))

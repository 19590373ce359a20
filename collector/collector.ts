import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { CollectorConfig } from '../config/index.ts'
import type { Storage } from '../storage/index.ts'
import type { Logger, Registry } from '../instrumentation/index.ts'

export interface CollectorDeps {
  config: CollectorConfig
  host: string
  storage: Storage
  logger: Logger
  registry: Registry
}

export interface Collector {
  /** Starts listening; resolves with the bound port. */
  start(): Promise<number>
  /** Stops accepting requests and writes everything already acknowledged or buffered. */
  stop(): Promise<void>
}

/** The OTLP/HTTP and remote_write receiver. Receivers and the batching writer arrive with the collector issue. */
export function createCollector(deps: CollectorDeps): Collector {
  let server: Server | undefined
  return {
    async start() {
      server = createServer((req, res) => {
        req.resume()
        res.writeHead(404, { 'content-type': 'application/json' })
        res.end(JSON.stringify({ error: { code: 'not_found', message: `no route for ${req.method} ${req.url}` } }))
      })
      await new Promise<void>((resolve, reject) => {
        server!.once('error', reject)
        server!.listen(deps.config.port, deps.host, () => resolve())
      })
      return (server.address() as AddressInfo).port
    },
    async stop() {
      if (!server) return
      await new Promise<void>((resolve) => server!.close(() => resolve()))
      server.closeIdleConnections()
    },
  }
}

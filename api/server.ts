import { createAdaptorServer } from '@hono/node-server'
import type { Hono } from 'hono'
import type { AddressInfo } from 'node:net'
import type { Server } from 'node:http'

export interface ListeningServer {
  port: number
  close(): Promise<void>
}

/** Serves a Hono app on host:port (port 0 = any free port) and resolves once listening. */
export async function listen(app: Hono, host: string, port: number): Promise<ListeningServer> {
  const server = createAdaptorServer({ fetch: app.fetch }) as Server
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, host, () => {
      server.off('error', reject)
      resolve()
    })
  })
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeIdleConnections()
      }),
  }
}

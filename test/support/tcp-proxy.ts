import { connect, createServer, type Socket } from 'node:net'
import type { AddressInfo } from 'node:net'

// A TCP relay in front of a test server, so a test can take "the server" away
// (connections refused, open ones cut) while the server itself keeps running.

export interface TcpProxy {
  url: string
  /** Stops listening and cuts every relayed connection: clients now get ECONNREFUSED. */
  stop(): Promise<void>
}

/** `port`: listen there (e.g. to bring "the server" back where clients expect it); 0 = any free port. */
export async function startTcpProxy(targetUrl: string, port = 0): Promise<TcpProxy> {
  const target = new URL(targetUrl)
  const sockets = new Set<Socket>()
  const track = (s: Socket) => {
    sockets.add(s)
    s.on('close', () => sockets.delete(s))
    s.on('error', () => s.destroy())
  }
  const server = createServer((client) => {
    const upstream = connect(Number(target.port), target.hostname)
    track(client)
    track(upstream)
    client.pipe(upstream).pipe(client)
    client.on('close', () => upstream.destroy())
    upstream.on('close', () => client.destroy())
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, '127.0.0.1', resolve)
  })
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  let stopped: Promise<void> | undefined
  return {
    url,
    stop: () =>
      (stopped ??= new Promise<void>((resolve) => {
        server.close(() => resolve())
        for (const s of sockets) s.destroy()
      })),
  }
}

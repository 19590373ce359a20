import { createServer, type IncomingMessage, type Server } from 'node:http'

export interface RecordedRequest {
  method: string
  path: string
  headers: IncomingMessage['headers']
  body: unknown
  atMs: number
}

export interface Reply {
  status: number
  headers?: Record<string, string>
  body?: unknown
}

/** Decides the reply to each request; may hold it (return a promise) to simulate a slow target. */
export type Responder = (request: RecordedRequest, index: number) => Reply | Promise<Reply>

export interface HttpRecorder {
  url: string
  requests: RecordedRequest[]
  /** Resolves once `count` requests have arrived (rejects after timeoutMs). */
  waitFor(count: number, timeoutMs?: number): Promise<RecordedRequest[]>
  close(): Promise<void>
}

/** A local HTTP server on a free port that records JSON requests and answers as told. */
export async function startHttpRecorder(responder: Responder = () => ({ status: 200 })): Promise<HttpRecorder> {
  const requests: RecordedRequest[] = []
  const waiters: (() => void)[] = []
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', async () => {
      const text = Buffer.concat(chunks).toString('utf8')
      let body: unknown = text
      try {
        body = text ? JSON.parse(text) : undefined
      } catch {
        // kept as text
      }
      const recorded = { method: req.method ?? '', path: req.url ?? '', headers: req.headers, body, atMs: Date.now() }
      requests.push(recorded)
      waiters.splice(0).forEach((w) => w())
      const reply = await responder(recorded, requests.length - 1)
      res.writeHead(reply.status, { 'content-type': 'application/json', ...reply.headers })
      res.end(reply.body === undefined ? '' : JSON.stringify(reply.body))
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address() as { port: number }
  return {
    url: `http://127.0.0.1:${address.port}`,
    requests,
    waitFor(count, timeoutMs = 20_000) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`expected ${count} requests, got ${requests.length}`)), timeoutMs)
        const check = () => {
          if (requests.length >= count) {
            clearTimeout(timer)
            resolve(requests.slice())
          } else waiters.push(check)
        }
        check()
      })
    },
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}

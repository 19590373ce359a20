// Sends one input of the hostile table to a running cairn and reads the
// answer, over node:http so that headers, lengths and pacing are exactly as
// written (fetch would fix a wrong Content-Length or refuse a 100 KiB URL).
// A server that answers before the body is sent (413, 429) and closes the
// connection is an answer, not a failure.

import { request } from 'node:http'
import { bodyOf, type HostileInput } from './hostile-inputs.ts'

export interface Answer {
  status: number
  body: string
  ms: number
}

export function sendHostile(input: HostileInput, baseUrl: string, timeoutMs = 120_000): Promise<Answer> {
  const body = bodyOf(input)
  const started = performance.now()
  const url = new URL(baseUrl)
  return new Promise<Answer>((resolve, reject) => {
    let settled = false
    const done = (f: () => void) => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      f()
    }
    const headers: Record<string, string> = { ...input.headers }
    if (body && headers['content-length'] === undefined) headers['content-length'] = String(body.length)
    const req = request({ host: url.hostname, port: url.port, method: input.method, path: input.path, headers, agent: false }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => done(() => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), ms: performance.now() - started })))
      res.on('error', () => done(() => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), ms: performance.now() - started })))
    })
    const timer = setTimeout(() => done(() => (req.destroy(), reject(new Error(`${input.name}: no answer within ${timeoutMs} ms`)))), timeoutMs)
    // Writes after the server answered and closed fail: the answer is what counts.
    req.on('error', (err) => setTimeout(() => done(() => reject(new Error(`${input.name}: ${err.message}`))), 200))
    if (!body) return void req.end()
    if (!input.slow) return void req.end(body)
    const size = Math.ceil(body.length / input.slow.chunks)
    let i = 0
    const tick = setInterval(() => {
      if (settled || i >= input.slow!.chunks) return clearInterval(tick)
      req.write(body.subarray(i * size, (i + 1) * size))
      i++
    }, input.slow.intervalMs)
  })
}

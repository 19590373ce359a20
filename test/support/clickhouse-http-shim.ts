import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import { gunzipSync, inflateSync } from 'node:zlib'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Session } from 'chdb'

// A ClickHouse server for tests, as far as @clickhouse/client's HTTP interface
// goes: it runs each request on an embedded chDB engine in the test process.
// There is no modern ClickHouse server on this machine, and this lets tests
// drive cairn's server mode for real (its own HTTP client, bootstrap, database,
// several cairn processes on one store) and simulate an outage or a stall.

export type ShimMode = 'up' | 'refuse' | 'stall'

export interface ClickHouseShim {
  url: string
  /** 'refuse': every request gets 503 at once; 'stall': requests hang until the mode changes. */
  setMode(mode: ShimMode): void
  /** Runs SQL on the engine directly (setup and assertions), in `database`. */
  query(sql: string, database?: string): Promise<string>
  requests: number
  close(): Promise<void>
}

// URL parameters the client sends that are transport options, not settings.
const TRANSPORT_PARAMS = new Set([
  'query',
  'database',
  'query_id',
  'session_id',
  'session_timeout',
  'session_check',
  'role',
  'default_format',
  'enable_http_compression',
  'wait_end_of_query',
  'send_progress_in_http_headers',
  'http_headers_progress_interval_ms',
  'http_send_progress_interval_ms',
])

export async function startClickHouseShim(options: { dataDir: string; user?: string; password?: string }): Promise<ClickHouseShim> {
  const session = new Session(options.dataDir)
  const user = options.user ?? 'default'
  const password = options.password ?? ''
  let mode: ShimMode = 'up'
  let stalled: Array<() => void> = []
  const sockets = new Set<Socket>()
  const filesDir = mkdtempSync(join(tmpdir(), 'cairn-shim-'))
  let files = 0

  const shim = {
    url: '',
    requests: 0,
    setMode(next: ShimMode) {
      mode = next
      if (next !== 'stall') {
        for (const release of stalled) release()
        stalled = []
      }
    },
    async query(sql: string, database = 'default') {
      return (await session.queryAsync(`USE \`${database}\`; ${sql}`, { format: 'JSONEachRow' })).text()
    },
    close: async () => {
      shim.setMode('up')
      for (const s of sockets) s.destroy()
      await new Promise<void>((resolve) => server.close(() => resolve()))
      session.cleanup()
      rmSync(filesDir, { recursive: true, force: true })
    },
  }

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    shim.requests++
    if (mode === 'stall') await new Promise<void>((resolve) => stalled.push(resolve))
    if (mode === 'refuse') return reply(res, 503, 'Code: 210. DB::Exception: shim is refusing requests. (NETWORK_ERROR)', 210)
    const url = new URL(req.url ?? '/', 'http://shim')
    if (url.pathname === '/ping') return reply(res, 200, 'Ok.\n')
    if (!authorized(req, user, password)) {
      return reply(res, 403, `Code: 516. DB::Exception: ${user}: Authentication failed: password is incorrect, or there is no user with such name. (AUTHENTICATION_FAILED)`, 516)
    }
    const body = decode(await readBody(req), req.headers['content-encoding'])
    const queryParam = url.searchParams.get('query')
    const insert = queryParam && body.length > 0 ? INSERT_FORMAT.exec(queryParam.trim()) : null
    // An INSERT's data stays bytes (RowBinary is not text): the engine reads it from a file.
    const dataFile = insert ? join(filesDir, `${++files}.data`) : undefined
    if (dataFile) writeFileSync(dataFile, body)
    const sql = insert ? `${insert[1]} FROM INFILE '${dataFile}' FORMAT ${insert[2]}` : queryParam ? `${queryParam}\n${body.toString('utf8')}` : body.toString('utf8')
    const params: Record<string, string> = {}
    const settings: string[] = []
    for (const [k, v] of url.searchParams) {
      if (k.startsWith('param_')) params[k.slice(6)] = unescapeTsv(v)
      else if (!TRANSPORT_PARAMS.has(k) && /^[a-z_0-9]+$/.test(k)) settings.push(`${k} = '${v.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`)
    }
    const database = url.searchParams.get('database') ?? 'default'
    const full = [`USE \`${database}\``, ...scoped(sql, settings)].join('; ')
    try {
      const result = Object.keys(params).length > 0 ? await session.queryBindAsync(full, params, { format: 'TabSeparated' }) : await session.queryAsync(full, { format: 'TabSeparated' })
      res.setHeader('X-ClickHouse-Summary', JSON.stringify({ read_rows: String(result.rowsRead ?? 0), written_rows: '0' }))
      res.setHeader('X-ClickHouse-Query-Id', url.searchParams.get('query_id') ?? '')
      reply(res, 200, Buffer.from(result.bytes()))
    } catch (err) {
      const e = err as Error & { clickhouseCode?: number }
      reply(res, 500, e.message, e.clickhouseCode ?? 1002)
    } finally {
      if (dataFile) rmSync(dataFile, { force: true })
    }
  }

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((err) => reply(res, 500, `Code: 1002. DB::Exception: ${(err as Error).message}. (UNKNOWN_EXCEPTION)`, 1002))
  })
  server.on('connection', (s) => {
    sockets.add(s)
    s.on('close', () => sockets.delete(s))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  shim.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  return shim
}

function reply(res: ServerResponse, status: number, body: string | Buffer, exceptionCode?: number): void {
  if (res.headersSent) return
  if (exceptionCode !== undefined && status !== 200) res.setHeader('X-ClickHouse-Exception-Code', String(exceptionCode))
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=UTF-8' })
  res.end(body)
}

function authorized(req: IncomingMessage, user: string, password: string): boolean {
  const header = req.headers.authorization
  if (!header?.startsWith('Basic ')) return user === 'default' && password === ''
  const [u, ...rest] = Buffer.from(header.slice(6), 'base64').toString('utf8').split(':')
  return u === user && rest.join(':') === password
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = []
  for await (const chunk of req) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks)
}

function decode(body: Buffer, encoding: string | string[] | undefined): Buffer {
  if (encoding === 'gzip') return gunzipSync(body)
  if (encoding === 'deflate') return inflateSync(body)
  return body
}

/**
 * A request's settings, scoped to it as a server scopes them. The engine runs
 * every request in one session, where a SET would outlive the request (a
 * read's `readonly` would refuse every later write): a query gets them as its
 * SETTINGS clause; other statements (writes, DDL: never read-only) as SETs.
 */
function scoped(sql: string, settings: string[]): string[] {
  if (settings.length === 0) return [sql]
  if (!/^\s*(?:SELECT|WITH)\b/i.test(sql)) return [...settings.map((kv) => `SET ${kv}`), sql]
  const format = /\s+FORMAT\s+\w+\s*$/i.exec(sql)
  const body = format ? sql.slice(0, format.index) : sql
  const own = /\bSETTINGS\s+(?![\s\S]*\bSETTINGS\b)/i.exec(body)
  const withSettings = own ? `${body.slice(0, own.index + own[0].length)}${settings.join(', ')}, ${body.slice(own.index + own[0].length)}` : `${body}\nSETTINGS ${settings.join(', ')}`
  return [`${withSettings}${format ? format[0] : ''}`]
}

/** `INSERT INTO t [(cols)] FORMAT F` whose data is the request body. */
const INSERT_FORMAT = /^(INSERT\s+INTO\s+[\s\S]+?)\s+FORMAT\s+(\w+)$/i

// Query parameter values travel TSV-escaped; chDB's binder escapes again.
function unescapeTsv(value: string): string {
  return value.replace(/\\(.)/g, (_, c: string) => ({ n: '\n', t: '\t', r: '\r', '0': '\0', b: '\b', f: '\f' })[c] ?? c)
}

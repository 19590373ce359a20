import { parseDuration } from '../../slo-engine/index.ts'
import { apiTarget } from '../api-target.ts'
import { UsageError, type Command } from '../command.ts'

// cairn explain <slo-id> --from 1h: where an SLO's budget went, from the
// API's attribution (GET /api/v1/slos/{id}/attribution, docs/attribution.md),
// printed for a terminal (or --json as the API answers).

const USAGE = 'cairn explain <slo-id> [--from 1h|TIME] [--to TIME] [--dimensions k1,k2] [--url URL] [--token T] [--json]'
const VALUE_OPTIONS = ['--from', '--to', '--dimensions', '--url', '--token']

interface Options {
  id: string
  query: URLSearchParams
  url: string
  token?: string
  json: boolean
}

/** `1h` → `now-1h`; times the API takes (RFC 3339, Unix seconds, now-…) pass as they are. */
const timeArg = (text: string) => (parseDuration(text) !== undefined ? `now-${text}` : text)

export function parseExplainArgs(args: readonly string[], env: NodeJS.ProcessEnv): Options {
  const values = new Map<string, string>()
  const ids: string[] = []
  let json = false
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!
    const eq = arg.indexOf('=')
    const [name, inline] = arg.startsWith('--') && eq > 0 ? [arg.slice(0, eq), arg.slice(eq + 1)] : [arg, undefined]
    if (name === '--json') json = true
    else if (!arg.startsWith('-')) ids.push(arg)
    else if (!VALUE_OPTIONS.includes(name)) throw new UsageError(`unknown option ${name}; usage: ${USAGE}`)
    else {
      const value = inline ?? args[++i]
      if (value === undefined || value === '') throw new UsageError(`${name} needs a value; usage: ${USAGE}`)
      values.set(name, value)
    }
  }
  if (ids.length !== 1) throw new UsageError(`expected one SLO id${ids.length ? ` (got ${ids.length})` : ''}; usage: ${USAGE}`)
  const query = new URLSearchParams({ from: timeArg(values.get('--from') ?? '1h') })
  if (values.has('--to')) query.set('to', timeArg(values.get('--to')!))
  if (values.has('--dimensions')) query.set('dimensions', values.get('--dimensions')!)
  return { id: ids[0]!, query, ...apiTarget({ url: values.get('--url'), token: values.get('--token') }, env), json }
}

const pct = (x: number) => `${(100 * x).toFixed(x < 0.001 && x > 0 ? 3 : 1)} %`

const sampled = (r: { rate: number; read: number; partial: boolean }, what: string) => `${r.read} ${what} read (${pct(r.rate)} of the blocks${r.partial ? ', stopped at its time budget' : ''})`
const seriesText = (s: { metric: string; attributes: Record<string, string> }) => `${s.metric}{${Object.entries(s.attributes).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(', ')}}`

/** The attribution as text: one block per dimension, its values with their share of the burn and example traces. */
export function formatAttribution(a: any): string {
  const lines = [`${a.sloId} (${a.sliKind}), ${a.from} → ${a.to}: ${a.bad} bad of ${a.total} events (${pct(a.errorRatio)}; the objective allows ${pct(a.allowedErrorRatio)})`]
  if (a.estimated) lines.push(`estimated on a sample: ${sampled(a.sampling.badEvents, 'bad events')}, ${sampled(a.sampling.events, 'events')} (docs/attribution.md, "Large ranges")`)
  if (a.bad === 0) lines.push('no bad events in the range: no budget was spent')
  else if (a.dimensions.length === 0) lines.push('no attribute concentrates the errors: they are spread like the traffic')
  for (const d of a.dimensions) {
    lines.push('', `${d.key}  (concentration ${d.concentration.toFixed(2)}${d.source === 'discovered' ? '' : `, ${d.source}`})`)
    const width = Math.max(...d.values.map((v: any) => String(v.value ?? '(not set)').length), 5)
    for (const v of d.values) {
      const examples = v.exampleSeries?.length ? `  e.g. series ${seriesText(v.exampleSeries[0])}` : v.exampleTraceIds.length ? `  e.g. trace ${v.exampleTraceIds.slice(0, 2).join(', ')}` : ''
      lines.push(`  ${String(v.value ?? '(not set)').padEnd(width)}  ${pct(v.budgetShare).padStart(7)} of the burn  ${v.bad}/${v.total} bad (${pct(v.errorRatio)})${examples}`)
    }
  }
  return `${lines.join('\n')}\n`
}

export const explainCommand: Command = {
  name: 'explain',
  summary: 'where an SLO\'s error budget went: the attribute values (route, version, pod, tenant…) behind its bad events, with example traces',
  usage: USAGE,
  async run(args) {
    const o = parseExplainArgs(args, process.env)
    const target = `${o.url}/api/v1/slos/${encodeURIComponent(o.id)}/attribution?${o.query}`
    let res: Response
    try {
      res = await fetch(target, { headers: { accept: 'application/json', ...(o.token && { authorization: `Bearer ${o.token}` }) }, signal: AbortSignal.timeout(120_000) })
    } catch (err) {
      throw new UsageError(`cannot reach ${o.url}: ${(err as Error).cause ?? (err as Error).message}`)
    }
    const body = (await res.json().catch(() => undefined)) as any
    if (res.status !== 200) {
      process.stderr.write(`cairn explain: ${res.status} ${body?.error?.message ?? res.statusText}\n`)
      return 1
    }
    process.stdout.write(o.json ? `${JSON.stringify(body, null, 2)}\n` : formatAttribution(body))
    return 0
  },
}

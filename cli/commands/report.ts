import { reportMarkdown, type ReportJson } from '../../reports/index.ts'
import { apiTarget, getApiJson, parseTimeoutMs, type ApiTarget } from '../api-target.ts'
import { UsageError, type Command } from '../command.ts'

// `cairn report`: the SLO report of the last complete week or month
// (GET /api/v1/reports, docs/reports.md), as markdown for a chat or a ticket,
// or as the API's JSON. Exit 0 with a report, 2 on usage or connection errors.

const USAGE = 'cairn report --period week|month [--format markdown|json] [--service NAME] [--label key:value] [--end TIME] [--url URL] [--token T] [--timeout 60s]'
const VALUE_OPTIONS = ['--period', '--format', '--service', '--label', '--end', '--url', '--token', '--timeout']
const EXIT_ERROR = 2

interface ReportArgs extends ApiTarget {
  query: URLSearchParams
  format: 'markdown' | 'json'
  timeoutMs: number
}

export function parseReportArgs(args: readonly string[], env: NodeJS.ProcessEnv): ReportArgs {
  const values = new Map<string, string>()
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!
    const eq = arg.indexOf('=')
    const name = arg.startsWith('--') && eq > 0 ? arg.slice(0, eq) : arg
    if (!VALUE_OPTIONS.includes(name)) throw new UsageError(`unknown argument ${JSON.stringify(arg)}; usage: ${USAGE}`)
    const value = eq > 0 && arg.startsWith('--') ? arg.slice(eq + 1) : args[++i]
    if (value === undefined || value === '') throw new UsageError(`${name} needs a value; usage: ${USAGE}`)
    values.set(name, value)
  }
  const period = values.get('--period')
  if (period !== 'week' && period !== 'month') throw new UsageError(`--period: expected week or month${period ? ` (got ${JSON.stringify(period)})` : ''}; usage: ${USAGE}`)
  const format = values.get('--format') ?? 'markdown'
  if (format !== 'markdown' && format !== 'json') throw new UsageError(`--format: expected markdown or json (got ${JSON.stringify(format)})`)
  const label = values.get('--label')
  if (label !== undefined && !/^[^:\s]+:.+$/.test(label)) throw new UsageError(`--label: expected key:value, such as team:payments (got ${JSON.stringify(label)})`)
  const query = new URLSearchParams({ period })
  for (const [option, param] of [['--service', 'service'], ['--label', 'label'], ['--end', 'end']] as const) if (values.has(option)) query.set(param, values.get(option)!)
  return { query, format, timeoutMs: parseTimeoutMs(values.get('--timeout') ?? '60s'), ...apiTarget({ url: values.get('--url'), token: values.get('--token') }, env) }
}

export const reportCommand: Command = {
  name: 'report',
  summary: 'SLO report of the last complete week or month per team and service: met or missed, budget spent, alerts, top contributors, change from the period before',
  usage: USAGE,
  async run(args) {
    const a = parseReportArgs(args, process.env)
    const answer = await getApiJson(a, `/api/v1/reports?${a.query}`, a.timeoutMs)
    if ('error' in answer) {
      process.stderr.write(`cairn report: ${answer.error}\n`)
      return EXIT_ERROR
    }
    const report = answer.body as ReportJson
    if (!Array.isArray(report.teams) || typeof report.summary !== 'object') {
      process.stderr.write(`cairn report: ${a.url} answered without a report: is this a cairn API?\n`)
      return EXIT_ERROR
    }
    process.stdout.write(a.format === 'json' ? `${JSON.stringify(report, null, 2)}\n` : reportMarkdown(report))
    return 0
  },
}

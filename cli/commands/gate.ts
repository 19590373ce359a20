import { apiTarget, getApiJson, parseTimeoutMs } from '../api-target.ts'
import { UsageError, type Command } from '../command.ts'

// `cairn gate`: the deploy gate as a CI/CD step (docs/gate.md). Asks a
// running cairn's GET /api/v1/gate, prints the reasons, and exits 0 when the
// deploy may go, 1 when it is refused, 2 when the question could not be asked
// or answered (bad usage, connection error, unknown service, bad token).

const USAGE = 'cairn gate --service NAME | --slo ID [--url URL] [--token TOKEN] [--timeout 10s] [--json]'
const EXIT_REFUSED = 1
const EXIT_ERROR = 2

interface GateArgs {
  query: string
  url: string
  token?: string
  timeoutMs: number
  json: boolean
}

function parseGateArgs(args: string[], env: NodeJS.ProcessEnv): GateArgs {
  const given: Record<string, string> = {}
  let json = false
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!
    if (arg === '--json') {
      json = true
      continue
    }
    const eq = arg.indexOf('=')
    const name = eq > 0 ? arg.slice(0, eq) : arg
    if (!['--service', '--slo', '--url', '--token', '--timeout'].includes(name)) throw new UsageError(`unknown argument ${JSON.stringify(arg)}; usage: ${USAGE}`)
    const value = eq > 0 ? arg.slice(eq + 1) : args[++i]
    if (!value) throw new UsageError(`${name} needs a value; usage: ${USAGE}`)
    given[name] = value
  }
  const { '--service': service, '--slo': slo } = given
  if ((service === undefined) === (slo === undefined)) throw new UsageError(`give exactly one of --service and --slo; usage: ${USAGE}`)
  const query = service !== undefined ? `service=${encodeURIComponent(service)}` : `slo=${encodeURIComponent(slo!)}`
  return { query, ...apiTarget({ url: given['--url'], token: given['--token'] }, env), timeoutMs: parseTimeoutMs(given['--timeout'] ?? '10s'), json }
}

interface Decision {
  allow: boolean
  reasons: string[]
}

/** The decision, or the message of why there is none. */
async function askGate(a: GateArgs): Promise<Decision | string> {
  const answer = await getApiJson(a, `/api/v1/gate?${a.query}`, a.timeoutMs)
  if ('error' in answer) return answer.error
  const d = answer.body as Partial<Decision>
  if (typeof d.allow !== 'boolean' || !Array.isArray(d.reasons)) return `${a.url}/api/v1/gate?${a.query} answered without allow and reasons: is this a cairn API?`
  return d as Decision
}

export const gateCommand: Command = {
  name: 'gate',
  summary: 'deploy gate for CI/CD: print why a service may or may not deploy; exit 0 allowed, 1 refused, 2 on errors',
  usage: USAGE,
  async run(args) {
    const parsed = parseGateArgs(args, process.env)
    const answer = await askGate(parsed)
    if (typeof answer === 'string') {
      process.stderr.write(`cairn gate: ${answer}\n`)
      return EXIT_ERROR
    }
    if (parsed.json) process.stdout.write(`${JSON.stringify(answer, null, 2)}\n`)
    else {
      for (const r of answer.reasons) process.stdout.write(`  ${r}\n`)
      process.stdout.write(answer.allow ? 'deploy allowed\n' : 'deploy refused: the error-budget policy freezes this service\n')
    }
    return answer.allow ? 0 : EXIT_REFUSED
  },
}

import { renameSync, writeFileSync } from 'node:fs'
import { generatePrometheusRules, loadWindows, ruleOptionsFromConfig, WindowsFileError, type RuleOptions } from '../../alerts/index.ts'
import { loadConfig } from '../../config/index.ts'
import { formatSpecError, isComputedSli, loadSloFiles, parseDuration } from '../../slo-engine/index.ts'
import { UsageError, type Command } from '../command.ts'

const USAGE =
  'cairn rules [--out FILE] [--default-slo-period 30d] [--windows FILE|DIR]… [--disable-alerts] [--disable-recordings] [-l|--extra-labels NAME=VALUE]… [--dashboard-url TEMPLATE] <dir|file…>'

interface RulesArgs {
  paths: string[]
  out?: string
  defaultSloPeriodSeconds?: number
  windows: string[]
  disableAlerts: boolean
  disableRecordings: boolean
  extraLabels: Record<string, string>
  dashboardUrl?: string
}

const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/

/** Flags as Sloth's `generate` names them, so existing scripts carry over. */
export function parseRulesArgs(args: string[]): RulesArgs {
  const parsed: RulesArgs = { paths: [], windows: [], disableAlerts: false, disableRecordings: false, extraLabels: {} }
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!
    const [flag, inline] = arg.startsWith('--') && arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined]
    const value = () => {
      const v = inline ?? args[++i]
      if (v === undefined || v === '') throw new UsageError(`${flag}: expected a value; usage: ${USAGE}`)
      return v
    }
    switch (flag) {
      case '-o':
      case '--out':
        parsed.out = value()
        break
      case '--default-slo-period': {
        const text = value()
        const seconds = parseDuration(text)
        if (!seconds || seconds % 60 !== 0) throw new UsageError(`--default-slo-period: expected a duration in whole minutes such as 30d or 28d (got ${JSON.stringify(text)})`)
        parsed.defaultSloPeriodSeconds = seconds
        break
      }
      case '--windows':
      case '--slo-period-windows-path':
        parsed.windows.push(value())
        break
      case '--disable-alerts':
        parsed.disableAlerts = true
        break
      case '--disable-recordings':
        parsed.disableRecordings = true
        break
      case '-l':
      case '--extra-labels': {
        const text = value()
        const eq = text.indexOf('=')
        const name = text.slice(0, eq)
        if (eq < 1 || !LABEL_NAME.test(name)) throw new UsageError(`${flag}: expected NAME=VALUE with a Prometheus label name (got ${JSON.stringify(text)})`)
        parsed.extraLabels[name] = text.slice(eq + 1)
        break
      }
      case '--dashboard-url':
        parsed.dashboardUrl = value()
        break
      default:
        if (arg.startsWith('-')) throw new UsageError(`unknown option ${arg}; usage: ${USAGE}`)
        parsed.paths.push(arg)
    }
  }
  if (parsed.paths.length === 0) throw new UsageError(`no SLO files given; usage: ${USAGE}`)
  return parsed
}

/** Writes through a temporary file, so a reader never sees half a rule file. */
function writeAtomically(path: string, text: string): void {
  const temp = `${path}.tmp-${process.pid}`
  writeFileSync(temp, text)
  renameSync(temp, path)
}

export const rulesCommand: Command = {
  name: 'rules',
  summary: 'generate Prometheus recording and alert rules (Sloth-compatible) from SLO specs',
  usage: USAGE,
  async run(args) {
    const a = parseRulesArgs(args)
    const config = loadConfig()
    const fromConfig = ruleOptionsFromConfig(config.alerts, undefined, config.engine)
    let windows = fromConfig.windows
    try {
      if (a.windows.length > 0) windows = loadWindows(a.windows)
    } catch (err) {
      if (!(err instanceof WindowsFileError)) throw err
      for (const p of err.problems) process.stderr.write(`${p}\n`)
      return 1
    }
    const { slos, errors } = await loadSloFiles(a.paths, { defaultSloPeriodSeconds: a.defaultSloPeriodSeconds })
    if (errors.length > 0) {
      for (const e of errors) process.stderr.write(`${formatSpecError(e)}\n`)
      process.stderr.write(`cairn rules: ${errors.length} error${errors.length === 1 ? '' : 's'} in the SLO specs; no rules written\n`)
      return 1
    }
    const options: RuleOptions = {
      windows,
      disableAlerts: a.disableAlerts,
      disableRecordings: a.disableRecordings,
      extraLabels: a.extraLabels,
      dashboardUrlTemplate: a.dashboardUrl ?? fromConfig.dashboardUrlTemplate,
      evaluationIntervalSeconds: fromConfig.evaluationIntervalSeconds,
      settleSeconds: fromConfig.settleSeconds,
    }
    const text = generatePrometheusRules(slos, options)
    for (const slo of slos.filter((s) => s.sli.kind === 'external')) {
      process.stderr.write(`${slo.source.file}:${slo.source.line}:${slo.source.column}: ${slo.id}: no rules (its SLI reads a source cairn cannot query)\n`)
    }
    if (a.out) {
      writeAtomically(a.out, text)
      const computed = slos.filter((s) => isComputedSli(s.sli)).length
      process.stderr.write(`cairn rules: ${slos.length} SLOs (${slos.length - computed} PromQL, ${computed} computed by cairn) → ${a.out}\n`)
    } else process.stdout.write(text)
    return 0
  },
}

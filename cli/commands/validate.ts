import { readFileSync } from 'node:fs'
import { notifyUrlAllowlist } from '../../alerts/index.ts'
import { loadConfig } from '../../config/index.ts'
import { formatSpecError, loadSloFiles, parseDuration, withEmbeddedRegexCheck } from '../../slo-engine/index.ts'
import { UsageError, type Command } from '../command.ts'

const USAGE = 'cairn validate [--default-slo-period 30d] <dir|file…>'

/** Checks SLO spec files (cairn/v1, Sloth prometheus/v1, OpenSLO) and prints every problem as file:line:col: message. */
export const validateCommand: Command = {
  name: 'validate',
  summary: 'check SLO spec files (cairn, Sloth, OpenSLO); print every error as file:line:col; exit 1 on any',
  usage: USAGE,
  async run(args) {
    const paths: string[] = []
    let defaultSloPeriodSeconds: number | undefined
    for (let i = 0; i < args.length; i++) {
      const arg = args[i]!
      if (arg === '--default-slo-period' || arg.startsWith('--default-slo-period=')) {
        const value = arg.includes('=') ? arg.slice(arg.indexOf('=') + 1) : args[++i]
        defaultSloPeriodSeconds = value === undefined ? undefined : parseDuration(value)
        if (!defaultSloPeriodSeconds || defaultSloPeriodSeconds % 60 !== 0) throw new UsageError(`--default-slo-period: expected a duration in whole minutes such as 30d or 28d (got ${JSON.stringify(value ?? '')})`)
      } else if (arg.startsWith('-')) {
        throw new UsageError(`unknown option ${arg}; usage: ${USAGE}`)
      } else paths.push(arg)
    }
    if (paths.length === 0) throw new UsageError(`no files given; usage: ${USAGE}`)
    // Per-SLO notification URLs are checked against the allow-list of this environment's configuration, as `cairn serve` would.
    const checkNotifyUrl = notifyUrlAllowlist(loadConfig().alerts).check
    // Regexes are compiled by ClickHouse's RE2 (an embedded engine), which refuses some patterns JavaScript accepts.
    const { slos, errors } = await withEmbeddedRegexCheck(await loadSloFiles(paths, { defaultSloPeriodSeconds, checkNotifyUrl }), (file) => readFileSync(file, 'utf8'))
    for (const e of errors) process.stdout.write(`${formatSpecError(e)}\n`)
    const summary = `${slos.length} SLO${slos.length === 1 ? '' : 's'} valid, ${errors.length} error${errors.length === 1 ? '' : 's'}`
    process.stdout.write(`${summary}\n`)
    return errors.length > 0 ? 1 : 0
  },
}

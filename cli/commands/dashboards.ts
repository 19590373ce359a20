import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { dashboardJson, generateDashboards, provisioningYaml, pushDashboards, FLAVOURS, GrafanaError, type Flavour, type GeneratedDashboard } from '../../dashboards/index.ts'
import { formatSpecError, loadSloFiles, parseDuration, type Slo } from '../../slo-engine/index.ts'
import { policyResolverFromConfig } from '../../alerts/index.ts'
import { loadConfig } from '../../config/index.ts'
import { UsageError, type Command } from '../command.ts'

const USAGE = `cairn dashboards <dir|file…> [--out DIR] [--grafana-url URL --grafana-token TOKEN]
      [--datasource prometheus|clickhouse|both] [--prometheus-uid UID] [--clickhouse-uid UID]
      [--folder TITLE] [--folder-uid UID] [--provisioning-path PATH] [--default-slo-period 30d]`

const PROVISIONING_FILE = 'cairn-dashboards.yaml'

interface Options {
  paths: string[]
  out?: string
  grafanaUrl?: string
  grafanaToken?: string
  flavours: Flavour[]
  datasourceUids: Partial<Record<Flavour, string>>
  folder: string
  folderUid: string
  provisioningPath?: string
  defaultSloPeriodSeconds?: number
}

const VALUE_OPTIONS = ['--out', '--grafana-url', '--grafana-token', '--datasource', '--prometheus-uid', '--clickhouse-uid', '--folder', '--folder-uid', '--provisioning-path', '--default-slo-period']

function parseArgs(args: string[], env: NodeJS.ProcessEnv): Options {
  const values = new Map<string, string>()
  const paths: string[] = []
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!
    const [name, inline] = arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined]
    if (!arg.startsWith('-')) paths.push(arg)
    else if (!VALUE_OPTIONS.includes(name)) throw new UsageError(`unknown option ${name}; usage: ${USAGE}`)
    else {
      const value = inline ?? args[++i]
      if (value === undefined || value === '') throw new UsageError(`${name} needs a value; usage: ${USAGE}`)
      values.set(name, value)
    }
  }
  if (paths.length === 0) throw new UsageError(`no SLO files given; usage: ${USAGE}`)
  const datasource = values.get('--datasource') ?? 'both'
  if (!['prometheus', 'clickhouse', 'both'].includes(datasource)) throw new UsageError(`--datasource: expected prometheus, clickhouse or both (got ${JSON.stringify(datasource)})`)
  const grafanaUrl = values.get('--grafana-url')
  const grafanaToken = values.get('--grafana-token') ?? env.CAIRN_GRAFANA_TOKEN
  if (grafanaUrl !== undefined && !/^https?:\/\/[^/]/.test(grafanaUrl)) throw new UsageError(`--grafana-url: expected an http:// or https:// URL (got ${JSON.stringify(grafanaUrl)})`)
  if (grafanaUrl !== undefined && !grafanaToken) throw new UsageError('--grafana-url needs a token: --grafana-token TOKEN or CAIRN_GRAFANA_TOKEN')
  if (values.get('--out') === undefined && grafanaUrl === undefined) throw new UsageError(`say where the dashboards go: --out DIR, --grafana-url URL, or both; usage: ${USAGE}`)
  const folderUid = values.get('--folder-uid') ?? 'cairn-slos'
  if (!/^[A-Za-z0-9_-]{1,40}$/.test(folderUid)) throw new UsageError(`--folder-uid: expected at most 40 letters, digits, - or _ (got ${JSON.stringify(folderUid)})`)
  for (const flag of ['--prometheus-uid', '--clickhouse-uid']) {
    const uid = values.get(flag)
    if (uid !== undefined && !/^[A-Za-z0-9_-]{1,40}$/.test(uid)) throw new UsageError(`${flag}: expected a Grafana data source uid (got ${JSON.stringify(uid)})`)
  }
  let defaultSloPeriodSeconds: number | undefined
  const period = values.get('--default-slo-period')
  if (period !== undefined) {
    defaultSloPeriodSeconds = parseDuration(period)
    if (!defaultSloPeriodSeconds || defaultSloPeriodSeconds % 60 !== 0) throw new UsageError(`--default-slo-period: expected a duration in whole minutes such as 30d (got ${JSON.stringify(period)})`)
  }
  return {
    paths,
    out: values.get('--out'),
    grafanaUrl,
    grafanaToken,
    flavours: datasource === 'both' ? [...FLAVOURS] : [datasource as Flavour],
    datasourceUids: { prometheus: values.get('--prometheus-uid'), clickhouse: values.get('--clickhouse-uid') },
    folder: values.get('--folder') ?? 'SLOs',
    folderUid,
    provisioningPath: values.get('--provisioning-path'),
    defaultSloPeriodSeconds,
  }
}

/** Dashboards per flavour, each with its own data source uid; thresholds from the alert policy the service is configured with. */
function generate(options: Options, slos: Slo[]): GeneratedDashboard[] {
  const resolvePolicy = policyResolverFromConfig(loadConfig().alerts)
  return options.flavours.flatMap((flavour) => generateDashboards(slos, [flavour], { datasourceUid: options.datasourceUids[flavour], resolvePolicy }))
}

/** Writes the dashboards and the provisioning file; removes dashboards cairn wrote before for SLOs that are gone. */
function writeFiles(dir: string, dashboards: GeneratedDashboard[], options: Options): void {
  const written = new Set(dashboards.map((d) => resolve(dir, d.path)))
  for (const flavour of FLAVOURS) {
    for (const sub of ['slo', 'service']) {
      const folder = join(dir, flavour, sub)
      let names: string[] = []
      try {
        names = readdirSync(folder)
      } catch {
        continue
      }
      for (const name of names) if (name.endsWith('.json') && !written.has(resolve(folder, name))) rmSync(join(folder, name))
    }
  }
  for (const d of dashboards) {
    const path = join(dir, d.path)
    mkdirSync(dirname(path), { recursive: true })
    writeFileSync(path, dashboardJson(d.dashboard))
  }
  writeFileSync(join(dir, PROVISIONING_FILE), provisioningYaml({ path: options.provisioningPath ?? resolve(dir), folder: options.folder, folderUid: options.folderUid }))
}

/** Generates Grafana dashboards for SLO files: writes them with a provisioning file, and/or pushes them to Grafana. */
export const dashboardsCommand: Command = {
  name: 'dashboards',
  summary: 'generate Grafana dashboards for SLO files: --out DIR (with provisioning YAML) and/or --grafana-url to push',
  usage: USAGE,
  async run(args) {
    const options = parseArgs(args, process.env)
    const { slos, errors } = await loadSloFiles(options.paths, { defaultSloPeriodSeconds: options.defaultSloPeriodSeconds })
    if (errors.length > 0) {
      for (const e of errors) process.stderr.write(`${formatSpecError(e)}\n`)
      process.stderr.write(`cairn: ${errors.length} error${errors.length === 1 ? '' : 's'} in the SLO files; no dashboards written\n`)
      return 1
    }
    const dashboards = generate(options, slos)
    if (options.out !== undefined) {
      writeFiles(options.out, dashboards, options)
      process.stdout.write(`wrote ${dashboards.length} dashboards for ${slos.length} SLOs and ${PROVISIONING_FILE} to ${options.out}\n`)
    }
    if (options.grafanaUrl !== undefined) {
      const target = { url: options.grafanaUrl, token: options.grafanaToken!, folderUid: options.folderUid, folderTitle: options.folder }
      const result = await pushDashboards(dashboards, target).catch((err: unknown) => {
        throw err instanceof GrafanaError ? new UsageError(err.message, 1) : err
      })
      process.stdout.write(`pushed ${result.dashboards.length} dashboards to ${options.grafanaUrl} (folder ${options.folder}, ${result.folder})\n`)
    }
    return 0
  },
}

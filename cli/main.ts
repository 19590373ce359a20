import { readFileSync } from 'node:fs'
import { ConfigError, ENV_VARS } from '../config/index.ts'
import { StorageUnavailableError } from '../storage/index.ts'
import { UsageError, type Command } from './command.ts'
import { COMMANDS } from './commands/index.ts'

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }
  return pkg.version
}

function help(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length))
  return [
    'cairn — SLOs, error budgets and burn-rate alerts over OpenTelemetry data in ClickHouse',
    '',
    'Usage: cairn <command> [options]',
    '',
    'Commands:',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    `  ${'help'.padEnd(width)}  show this help`,
    `  ${'version'.padEnd(width)}  print the version`,
    '',
    'Environment (CAIRN_CONFIG names an optional YAML file; variables win over it):',
    ...ENV_VARS.map((v) => `  ${v.name.padEnd(28)} ${v.description}`),
    '',
  ].join('\n')
}

async function main(argv: string[]): Promise<number> {
  const [name, ...args] = argv
  if (!name || name === 'help' || name === '--help' || name === '-h') {
    process.stdout.write(help())
    return name ? 0 : 2
  }
  if (name === 'version' || name === '--version') {
    process.stdout.write(`${version()}\n`)
    return 0
  }
  const command: Command | undefined = COMMANDS.find((c) => c.name === name)
  if (!command) {
    process.stderr.write(`cairn: unknown command "${name}"; run "cairn help" for the list\n`)
    return 2
  }
  return command.run(args)
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    if (err instanceof ConfigError || err instanceof UsageError) {
      process.stderr.write(`cairn: ${err.message}\n`)
      process.exit(err instanceof UsageError ? err.exitCode : 2)
    }
    if (err instanceof StorageUnavailableError) {
      process.stderr.write(`cairn: ${err.message}\n`)
      process.exit(1)
    }
    process.stderr.write(`cairn: unexpected error: ${(err as Error)?.stack ?? String(err)}\n`)
    process.exit(1)
  },
)

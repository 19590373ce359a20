import { execFileSync, spawnSync } from 'node:child_process'

/** Debian packages the tests run for real, and a binary each provides. */
export const TEST_PACKAGES: Record<string, string> = {
  prometheus: 'promtool',
  'prometheus-alertmanager': 'prometheus-alertmanager',
  'docker-compose': 'docker-compose',
}

function has(binary: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${binary}`], { stdio: 'ignore' }).status === 0
}

/**
 * Installs the missing test packages with apt-get (as root, or through sudo).
 * Runs once per test run from the global setup; a machine that has them all
 * does nothing.
 */
export function ensureDebianPackages(packages: Record<string, string> = TEST_PACKAGES): void {
  const missing = Object.entries(packages).filter(([, bin]) => !has(bin)).map(([pkg]) => pkg)
  if (missing.length === 0) return
  const sudo = process.getuid?.() === 0 ? [] : ['sudo', '-n']
  const run = (args: string[]) => {
    const [cmd, ...rest] = [...sudo, ...args]
    execFileSync(cmd!, rest, { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } })
  }
  process.stderr.write(`test setup: installing Debian packages ${missing.join(', ')}\n`)
  run(['apt-get', 'update', '-qq'])
  run(['apt-get', 'install', '-y', '-qq', '--no-install-recommends', ...missing])
}

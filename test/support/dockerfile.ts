import { readFileSync } from 'node:fs'

// Just enough of the Dockerfile syntax to follow our own Dockerfile without
// Docker (test/deploy/dockerfile.test.ts): instructions, line continuations,
// comments, JSON (exec) and shell forms. An instruction this does not know is
// an error naming its line, so the test keeps up with the Dockerfile.

export interface Instruction {
  line: number
  op: string
  /** The rest of the instruction, continuations joined. */
  text: string
}

export const KNOWN = ['FROM', 'WORKDIR', 'ENV', 'COPY', 'RUN', 'USER', 'EXPOSE', 'VOLUME', 'ENTRYPOINT', 'CMD', 'LABEL'] as const

export function parseDockerfile(file: string): Instruction[] {
  const lines = readFileSync(file, 'utf8').split('\n')
  const out: Instruction[] = []
  for (let i = 0; i < lines.length; i++) {
    const start = i
    let text = lines[i]!.trim()
    if (text === '' || text.startsWith('#')) continue
    while (text.endsWith('\\') && i + 1 < lines.length) text = `${text.slice(0, -1).trimEnd()} ${lines[++i]!.trim()}`
    const [, op = '', rest = ''] = /^(\S+)\s*(.*)$/.exec(text) ?? []
    if (!(KNOWN as readonly string[]).includes(op.toUpperCase())) throw new Error(`${file}:${start + 1}: instruction ${op} is not followed by this test`)
    out.push({ line: start + 1, op: op.toUpperCase(), text: rest })
  }
  return out
}

/** An exec-form (JSON array) argument list, or the shell form split on blanks. */
export function argsOf(text: string): string[] {
  return text.startsWith('[') ? (JSON.parse(text) as string[]) : text.split(/\s+/).filter(Boolean)
}

/** `ENV K=V K2=V2` or the legacy `ENV K V`; values may be double-quoted. */
export function envOf(text: string): Record<string, string> {
  if (!/^\S+=/.test(text)) {
    const [key = '', ...value] = text.split(/\s+/)
    return { [key]: value.join(' ') }
  }
  const env: Record<string, string> = {}
  for (const m of text.matchAll(/(\w+)=("(?:[^"\\]|\\.)*"|\S*)/g)) env[m[1]!] = m[2]!.startsWith('"') ? (JSON.parse(m[2]!) as string) : m[2]!
  return env
}

/** COPY's flags (--chown=…), sources and destination. */
export function copyOf(text: string): { flags: Record<string, string>; sources: string[]; dest: string } {
  const args = argsOf(text)
  const flags: Record<string, string> = {}
  while (args[0]?.startsWith('--')) {
    const [k = '', v = ''] = args.shift()!.slice(2).split('=')
    flags[k] = v
  }
  const dest = args.pop()
  if (!dest || args.length === 0) throw new Error(`COPY ${text}: expected sources and a destination`)
  return { flags, sources: args, dest }
}

/**
 * .dockerignore as a predicate over context paths (relative, '/'-separated):
 * `*` and `?` within a segment, `**` across segments, a pattern matching a
 * folder excludes everything under it, `!` re-includes.
 */
export function dockerignore(text: string): (path: string) => boolean {
  const rules = text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => ({ include: l.startsWith('!'), re: globToRegExp(l.replace(/^!/, '').replace(/^\/+|\/+$/g, '')) }))
  return (path) => {
    let ignored = false
    for (const { include, re } of rules) if (re.test(path)) ignored = !include
    return ignored
  }
}

function globToRegExp(glob: string): RegExp {
  let re = ''
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!
    if (c === '*' && glob[i + 1] === '*' && glob[i + 2] === '/') {
      re += '(.*/)?' // any folders, or none
      i += 2
    } else if (c === '*' && glob[i + 1] === '*') {
      re += '.*'
      i++
    } else if (c === '*') re += '[^/]*'
    else if (c === '?') re += '[^/]'
    else re += c.replace(/[.+^${}()|[\]\\]/g, '\\$&')
  }
  return new RegExp(`^${re}(/.*)?$`)
}

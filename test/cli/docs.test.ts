import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { ENV_VARS } from '../../config/index.ts'
import { COMMANDS } from '../../cli/commands/index.ts'

// The README is the contract with a new user: every variable and command it
// does not mention is one nobody can find.
const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8')

describe('README', () => {
  it.each(ENV_VARS.map((v) => v.name))('documents %s', (name) => {
    expect(readme).toMatch(new RegExp(`\\|\\s*\`${name}\`\\s*\\|`))
  })

  it.each(COMMANDS.map((c) => c.name))('documents `cairn %s`', (name) => {
    expect(readme).toContain(`cairn ${name}`)
  })

  it('gives the two commands of a fresh machine', () => {
    expect(readme).toContain('npm install && npm start')
    expect(readme).toContain('npm test')
  })
})

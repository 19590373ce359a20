import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { argsOf, copyOf, dockerignore, envOf, parseDockerfile } from './dockerfile.ts'
import { tempDir } from './temp.ts'

// The Dockerfile reader test/deploy/dockerfile.test.ts follows the image with.

const dir = tempDir('cairn-dockerfile-')
afterAll(() => dir.remove())

describe('reading a Dockerfile', () => {
  it('joins continuations, skips comments, and names the line of an instruction it does not follow', () => {
    const file = join(dir.path, 'Dockerfile')
    writeFileSync(file, '# c\nFROM node:20\nRUN a && \\\n    b\n\nCMD ["serve"]\n')
    expect(parseDockerfile(file)).toEqual([
      { line: 2, op: 'FROM', text: 'node:20' },
      { line: 3, op: 'RUN', text: 'a && b' },
      { line: 6, op: 'CMD', text: '["serve"]' },
    ])
    writeFileSync(file, 'FROM node:20\nHEALTHCHECK CMD true\n')
    expect(() => parseDockerfile(file)).toThrow(`${file}:2: instruction HEALTHCHECK is not followed by this test`)
  })

  it('reads ENV, COPY and exec or shell forms', () => {
    expect(envOf('A=1 B="two words" C=')).toEqual({ A: '1', B: 'two words', C: '' })
    expect(envOf('LEGACY some value')).toEqual({ LEGACY: 'some value' })
    expect(copyOf('--chown=node:node a b ./')).toEqual({ flags: { chown: 'node:node' }, sources: ['a', 'b'], dest: './' })
    expect(() => copyOf('only')).toThrow('expected sources and a destination')
    expect(argsOf('["node", "bin/cairn.js"]')).toEqual(['node', 'bin/cairn.js'])
    expect(argsOf('serve --flag')).toEqual(['serve', '--flag'])
  })

  it('applies .dockerignore as Docker does: patterns from the context root, folders with all under them, ! re-includes', () => {
    const ignored = dockerignore('# comment\n*.log\n**/node_modules\ntest\n!test/keep.ts\n')
    expect(['a.log', 'node_modules', 'x/node_modules/y.js', 'test', 'test/a.ts'].filter(ignored)).toEqual(['a.log', 'node_modules', 'x/node_modules/y.js', 'test', 'test/a.ts'])
    expect(['x/a.log', 'testing', 'test/keep.ts', 'src/a.ts', 'my_node_modules'].filter(ignored)).toEqual([])
  })
})

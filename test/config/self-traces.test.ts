import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { ConfigError, loadConfig } from '../../config/index.ts'
import { tempDir } from '../support/temp.ts'

const dir = tempDir()
afterAll(() => dir.remove())

describe('selfTraces (CAIRN_SELF_TRACES)', () => {
  it('is on by default and takes on/off in any case, or true/false', () => {
    expect(loadConfig({}).selfTraces).toBe('on')
    expect(loadConfig({ CAIRN_SELF_TRACES: 'off' }).selfTraces).toBe('off')
    expect(loadConfig({ CAIRN_SELF_TRACES: ' OFF ' }).selfTraces).toBe('off')
    expect(loadConfig({ CAIRN_SELF_TRACES: 'false' }).selfTraces).toBe('off')
    expect(loadConfig({ CAIRN_SELF_TRACES: 'On' }).selfTraces).toBe('on')
  })

  it('reads a YAML boolean from the file', () => {
    const path = join(dir.path, 'cairn.yaml')
    writeFileSync(path, 'selfTraces: false\n')
    expect(loadConfig({ CAIRN_CONFIG: path }).selfTraces).toBe('off')
  })

  it('names the variable and what it takes for anything else', () => {
    const err = (() => {
      try {
        loadConfig({ CAIRN_SELF_TRACES: 'maybe' })
      } catch (e) {
        return e
      }
    })()
    expect(err).toBeInstanceOf(ConfigError)
    expect((err as ConfigError).problems).toEqual(['CAIRN_SELF_TRACES: selfTraces: expected on or off (got "maybe")'])
  })
})

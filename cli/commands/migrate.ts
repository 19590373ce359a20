import { loadConfig } from '../../config/index.ts'
import { createLogger } from '../../instrumentation/index.ts'
import { openAndMigrate } from '../service.ts'
import type { Command } from '../command.ts'

export const migrateCommand: Command = {
  name: 'migrate',
  summary: 'apply pending schema migrations and TTL changes, then exit',
  usage: 'cairn migrate',
  async run() {
    const config = loadConfig()
    const storage = await openAndMigrate(config, createLogger(config.logLevel))
    await storage.close()
    return 0
  },
}

import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { expect } from 'vitest'
import { openAndMigrate } from '../../cli/index.ts'
import type { CairnConfig } from '../../config/index.ts'
import { createLogger, type Logger } from '../../instrumentation/index.ts'
import { createSloCatalog, type SloCatalog } from '../../slo-engine/index.ts'
import type { Storage } from '../../storage/index.ts'

// Storage and SLO catalog set-up shared by test files: open once in
// beforeAll (chdb allows one data directory per process), close in afterAll.

/** The store of `config.storage`, with every component's tables and the otel_* tables created, as `cairn serve` opens it. */
export function openMigratedStorage(config: CairnConfig): Promise<Storage> {
  return openAndMigrate(config, createLogger('silent'))
}

/**
 * Writes `specFiles` (file name → YAML) into `sloDir`, syncs them into the
 * catalog as the engine would (asserting they parse), and returns the catalog
 * as an API process sees it: read from ClickHouse, without the directory.
 */
export async function seedCatalog(storage: Storage, sloDir: string, specFiles: Record<string, string>, logger: Logger = createLogger('silent')): Promise<SloCatalog> {
  mkdirSync(sloDir, { recursive: true })
  for (const [name, yaml] of Object.entries(specFiles)) writeFileSync(join(sloDir, name), yaml)
  expect((await createSloCatalog({ storage, sloDir, logger }).syncFiles()).errors).toEqual([])
  return createSloCatalog({ storage, sloDir: undefined, logger })
}

export { createEngine, type Engine, type EngineDeps } from './engine.ts'
export { engineMigrations, ENGINE_TABLES } from './tables.ts'
export * from './model.ts'
export { parseDuration, formatDuration } from './duration.ts'

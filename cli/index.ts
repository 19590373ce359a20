export { startService, openAndMigrate, allMigrations, type Role, type RunningService } from './service.ts'
export { UsageError, type Command } from './command.ts'

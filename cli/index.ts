export { startService, openAndMigrate, allMigrations, type Role, type RunningService, type ServiceOptions } from './service.ts'
export { UsageError, type Command } from './command.ts'

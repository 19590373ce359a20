import type { Command } from '../command.ts'
import { runCommands } from './run.ts'
import { migrateCommand } from './migrate.ts'
import { validateCommand } from './validate.ts'
import { rulesCommand } from './rules.ts'
import { dashboardsCommand } from './dashboards.ts'
import { gateCommand } from './gate.ts'
import { explainCommand } from './explain.ts'
import { reportCommand } from './report.ts'

/** Every `cairn` subcommand, in the order `cairn help` lists them. */
export const COMMANDS: Command[] = [...runCommands, migrateCommand, validateCommand, rulesCommand, dashboardsCommand, gateCommand, explainCommand, reportCommand]

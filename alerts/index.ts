export { alertsMigrations, ALERT_STATE_TABLE } from './tables.ts'

export { healthRoutes, type Readiness } from './health.ts'
export { listen, type ListeningServer } from './server.ts'

export { healthRoutes, type Readiness } from './health.ts'
export { listen, type ListeningServer } from './server.ts'
export { requestTracing } from './tracing.ts'

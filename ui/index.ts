// The web UI: overview, one page per SLO and a spec validator, served on the
// API port by the same process. See docs/ui.md.
export { uiRoutes } from './routes.tsx'
export { ASSET_PREFIX } from './assets.ts'

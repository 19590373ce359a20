/** @jsxRuntime automatic @jsxImportSource hono/jsx */
import { Hono, type Context } from 'hono'
import { ASSET_PREFIX, loadAssets } from './assets.ts'
import { OverviewPage, SloPage, ValidatePage } from './pages.tsx'

// The web UI's routes: three HTML pages and their assets. They stay clear of
// the API's paths (/api/v1/*, /healthz, /readyz, /metrics, /openapi.json),
// and need no token: the pages are shells, the data calls they make carry it.

/**
 * Pages may load only this origin's scripts, styles and data: a page cannot
 * reach outside even by mistake. uPlot sets inline style properties from
 * script, which CSP allows; inline <style>/<script> are not used.
 */
const CSP = "default-src 'self'; img-src 'self' data: blob:; style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"

export function uiRoutes(): Hono {
  const assets = loadAssets()
  const app = new Hono()
  const page = (render: () => unknown) => (c: Context) => {
    c.header('content-security-policy', CSP)
    c.header('x-content-type-options', 'nosniff')
    c.header('referrer-policy', 'no-referrer')
    c.header('cache-control', 'no-cache')
    return c.html(`<!doctype html>${String(render())}`)
  }
  app.get('/', page(() => <OverviewPage assets={assets} />))
  app.get('/validate', page(() => <ValidatePage assets={assets} />))
  app.get('/slos/:id', (c) => page(() => <SloPage assets={assets} id={c.req.param('id')} />)(c))
  app.get(`${ASSET_PREFIX}/:name`, (c) => {
    const asset = assets.get(c.req.param('name'))
    if (!asset) return c.text('no such asset', 404)
    const versioned = c.req.query('v') === asset.hash
    return c.body(new Uint8Array(asset.body), 200, {
      'content-type': asset.type,
      'x-content-type-options': 'nosniff',
      'cache-control': versioned ? 'public, max-age=31536000, immutable' : 'no-cache',
      etag: `"${asset.hash}"`,
    })
  })
  return app
}

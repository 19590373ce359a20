/** @jsxRuntime automatic @jsxImportSource hono/jsx */
import type { Child } from 'hono/jsx'
import type { AssetName, Assets } from './assets.ts'

// The page frame every UI page shares: navigation, the token dialog, the
// style sheet and the scripts. Pages are HTML shells: the data comes from the
// API in the browser, with the session's token, so loading a page needs none.

export interface PageProps {
  title: string
  /** The page's nav entry, marked aria-current. */
  section: 'overview' | 'validate' | 'slo'
  assets: Assets
  scripts: AssetName[]
  children?: Child
}

export function Layout(props: PageProps) {
  const nav = (href: string, label: string, section: PageProps['section']) => (
    <a href={href} aria-current={props.section === section ? 'page' : undefined}>
      {label}
    </a>
  )
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="color-scheme" content="light dark" />
        <title>{`${props.title} · cairn`}</title>
        <link rel="icon" href="data:," />
        <link rel="stylesheet" href={props.assets.url('uPlot.css')} />
        <link rel="stylesheet" href={props.assets.url('cairn.css')} />
      </head>
      <body>
        <a class="skip" href="#main">
          Skip to content
        </a>
        <header class="top">
          <span class="brand">cairn</span>
          <nav aria-label="Pages">
            {nav('/', 'SLOs', 'overview')}
            {nav('/validate', 'Validate a spec', 'validate')}
          </nav>
          <button type="button" id="forget-token" class="link" hidden>
            Forget token
          </button>
        </header>
        <main id="main" tabindex={-1}>
          <div id="problem" class="problem" role="alert" hidden></div>
          {props.children}
        </main>
        <dialog id="token-dialog" aria-labelledby="token-title">
          <form method="dialog" id="token-form">
            <h2 id="token-title">API token</h2>
            <p id="token-reason">This cairn requires a token (one of CAIRN_API_TOKENS with the read role).</p>
            <label for="token-input">Token</label>
            <input id="token-input" name="token" type="password" autocomplete="off" required minlength={1} />
            <p class="hint">Kept for this browser tab only (sessionStorage) and sent with every API call.</p>
            <div class="actions">
              <button type="submit">Use token</button>
            </div>
          </form>
        </dialog>
        <noscript>
          <p class="problem">This page draws its data with JavaScript; the same data is at /api/v1 (see /openapi.json).</p>
        </noscript>
        {props.scripts.map((s) => (
          <script src={props.assets.url(s)} defer></script>
        ))}
      </body>
    </html>
  )
}

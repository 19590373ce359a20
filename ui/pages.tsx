/** @jsxRuntime automatic @jsxImportSource hono/jsx */
import type { Assets } from './assets.ts'
import { Layout } from './layout.tsx'

// The three pages as server-rendered structure: headings, controls, empty
// tables and chart frames with their text alternatives. The client scripts
// fill them from the API.

/** Health bands of the overview, by remaining budget; docs/ui.md defines them. */
export const BANDS = [
  { id: 'exhausted', label: 'Exhausted', hint: 'remaining ≤ 0 %' },
  { id: 'lt25', label: '< 25 %', hint: '0 % < remaining < 25 %' },
  { id: 'lt50', label: '< 50 %', hint: '25 % ≤ remaining < 50 %' },
  { id: 'lt75', label: '< 75 %', hint: '50 % ≤ remaining < 75 %' },
  { id: 'healthy', label: 'Healthy', hint: 'remaining ≥ 75 %' },
  { id: 'nodata', label: 'No data', hint: 'no events in the window, not evaluated yet, or computed by Prometheus' },
  { id: 'error', label: 'Error', hint: 'the last evaluation failed' },
] as const

const STATES = [
  ['', 'any state'],
  ['ok', 'ok'],
  ['alerting', 'alert firing'],
  ['no_data', 'no data'],
  ['error', 'error'],
  ['pending', 'pending'],
  ['not_computed', 'not computed'],
] as const

const SORTS = [
  ['budget', 'remaining budget, lowest first'],
  ['-budget', 'remaining budget, highest first'],
  ['id', 'id'],
] as const

export function OverviewPage({ assets }: { assets: Assets }) {
  return (
    <Layout title="SLOs" section="overview" assets={assets} scripts={['common.js', 'overview.js']}>
      <h1>Service level objectives</h1>
      <section aria-labelledby="bands-title">
        <h2 id="bands-title" class="visually-hidden">
          Health by remaining budget
        </h2>
        <ul id="bands" class="bands">
          {BANDS.map((b) => (
            <li>
              <button type="button" class={`band band-${b.id}`} data-band={b.id} aria-pressed="false" title={b.hint}>
                <span class="band-count" data-count={b.id}>
                  –
                </span>
                <span class="band-label">{b.label}</span>
              </button>
            </li>
          ))}
        </ul>
      </section>
      <form id="filters" class="filters" role="search" aria-label="Filter SLOs">
        <label>
          Service
          <select name="service" id="f-service">
            <option value="">all services</option>
          </select>
        </label>
        <label>
          Label
          <input name="label" id="f-label" type="search" placeholder="team=payments" list="label-list" />
          <datalist id="label-list"></datalist>
        </label>
        <label>
          State
          <select name="state" id="f-state">
            {STATES.map(([value, text]) => (
              <option value={value}>{text}</option>
            ))}
          </select>
        </label>
        <label>
          Sort by
          <select name="sort" id="f-sort">
            {SORTS.map(([value, text]) => (
              <option value={value}>{text}</option>
            ))}
          </select>
        </label>
        <input type="hidden" name="band" id="f-band" />
        <button type="reset" id="f-reset">
          Clear filters
        </button>
      </form>
      <p id="summary" aria-live="polite" class="summary">
        Loading…
      </p>
      <div class="table-wrap">
        <table id="slos" class="slos" aria-describedby="summary">
          <thead>
            <tr>
              <th scope="col">SLO</th>
              <th scope="col">Objective</th>
              <th scope="col">SLI</th>
              <th scope="col">Remaining budget</th>
              <th scope="col" title="burn rate over 1 hour">
                1h
              </th>
              <th scope="col" title="burn rate over 6 hours">
                6h
              </th>
              <th scope="col" title="burn rate over 1 day">
                1d
              </th>
              <th scope="col" title="burn rate over 3 days">
                3d
              </th>
              <th scope="col">Alerts</th>
              <th scope="col">Budget, 7 days</th>
            </tr>
          </thead>
          <tbody></tbody>
        </table>
      </div>
    </Layout>
  )
}

/** A chart frame: the canvas goes in .chart; the summary and the data table are its text alternative. */
function ChartFigure({ id, title }: { id: string; title: string }) {
  return (
    <figure class="chart-figure" aria-labelledby={`${id}-title`}>
      <figcaption id={`${id}-title`}>{title}</figcaption>
      <div class="chart" id={`${id}-chart`} role="img" aria-describedby={`${id}-summary`}></div>
      <p class="chart-summary" id={`${id}-summary`}></p>
      <details>
        <summary>Data table</summary>
        <div class="table-wrap">
          <table id={`${id}-table`} class="data"></table>
        </div>
      </details>
    </figure>
  )
}

export function SloPage({ assets, id }: { assets: Assets; id: string }) {
  return (
    <Layout title={id} section="slo" assets={assets} scripts={['uPlot.js', 'common.js', 'slo.js']}>
      <div id="slo" data-slo-id={id}>
        <p class="crumbs">
          <a href="/">All SLOs</a>
        </p>
        <h1 id="slo-title">{id}</h1>
        <p id="slo-meta" class="meta"></p>
        <div id="notices"></div>
        <section aria-labelledby="budget-title">
          <h2 id="budget-title">Error budget</h2>
          <dl id="numbers" class="numbers"></dl>
          <form id="whatif" class="whatif">
            <label for="whatif-objective">What if the objective were (%)</label>
            <input id="whatif-objective" type="number" min="0" max="99.9999" step="any" inputmode="decimal" />
            <button type="reset" id="whatif-reset">
              Back to the real objective
            </button>
            <p id="whatif-note" class="hint" aria-live="polite"></p>
          </form>
          <ChartFigure id="burndown" title="Remaining error budget over the window, beside the even-spend line" />
          <ChartFigure id="sli" title="SLI over time against the objective (breaches marked)" />
        </section>
        <section aria-labelledby="burn-title">
          <h2 id="burn-title">Burn rates against the alert policy</h2>
          <div class="table-wrap">
            <table id="burn-table" class="data"></table>
          </div>
        </section>
        <section aria-labelledby="alerts-title">
          <h2 id="alerts-title">Alert history</h2>
          <div id="alert-history"></div>
        </section>
        <section aria-labelledby="attribution-title" id="attribution-section" hidden>
          <h2 id="attribution-title">Where the budget went (last hour)</h2>
          <div id="attribution"></div>
        </section>
        <section aria-labelledby="examples-title" id="examples-section" hidden>
          <h2 id="examples-title">Latest bad events</h2>
          <div id="examples"></div>
        </section>
        <section aria-labelledby="spec-title">
          <h2 id="spec-title">Spec</h2>
          <p id="spec-source"></p>
          <p class="actions">
            <button type="button" id="download-dashboard">
              Grafana dashboard (JSON)
            </button>
            <button type="button" id="download-rules">
              Prometheus rules (YAML)
            </button>
          </p>
          <pre id="spec-yaml" class="code" tabindex={0}></pre>
        </section>
      </div>
    </Layout>
  )
}

export function ValidatePage({ assets }: { assets: Assets }) {
  return (
    <Layout title="Validate a spec" section="validate" assets={assets} scripts={['common.js', 'validate.js']}>
      <h1>Validate an SLO spec</h1>
      <p>Paste one or more YAML documents (cairn/v1, Sloth prometheus/v1, OpenSLO v1). Nothing is stored.</p>
      <form id="validate-form">
        <label for="spec-input">Spec</label>
        <textarea id="spec-input" name="spec" rows={18} spellcheck={false} aria-describedby="validate-result"></textarea>
        <p class="actions">
          <button type="submit">Validate</button>
        </p>
      </form>
      <div id="validate-result" aria-live="polite"></div>
      <pre id="annotated" class="code annotated" hidden></pre>
    </Layout>
  )
}

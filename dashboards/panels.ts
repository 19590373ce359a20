import type { Builder, Dataquery } from '@grafana/grafana-foundation-sdk/cog'
import type { Panel } from '@grafana/grafana-foundation-sdk/dashboard'
import { ThresholdsConfigBuilder, ThresholdsMode, type Threshold } from '@grafana/grafana-foundation-sdk/dashboard'
import {
  GraphDrawStyle,
  GraphThresholdsStyleConfigBuilder,
  GraphThresholdsStyleMode,
  LegendDisplayMode,
  LegendPlacement,
  ReduceDataOptionsBuilder,
  StackingConfigBuilder,
  StackingMode,
  TableSortByFieldStateBuilder,
  VizLegendOptionsBuilder,
} from '@grafana/grafana-foundation-sdk/common'
import { DataqueryBuilder, PromQueryFormat } from '@grafana/grafana-foundation-sdk/prometheus'
import { PanelBuilder as TimeseriesPanel } from '@grafana/grafana-foundation-sdk/timeseries'
import { PanelBuilder as StatPanel } from '@grafana/grafana-foundation-sdk/stat'
import { PanelBuilder as TablePanel } from '@grafana/grafana-foundation-sdk/table'
import { PanelBuilder as StateTimelinePanel } from '@grafana/grafana-foundation-sdk/statetimeline'
import { PanelBuilder as LogsPanel } from '@grafana/grafana-foundation-sdk/logs'
import { PanelBuilder as TextPanel, TextMode } from '@grafana/grafana-foundation-sdk/text'
import { ClickHouseQueryBuilder } from './clickhouse-query.ts'
import type { Flavour, QuerySpec, TelemetryPanel } from './queries.ts'
import type { BurnRateAlertWindow } from './alert-windows.ts'
import { formatDuration } from '../slo-engine/index.ts'

/** Where a panel's queries go: the data-source flavour and its uid in Grafana. */
export interface Target {
  flavour: Flavour
  datasourceUid: string
}

const DATASOURCE_TYPE: Record<Flavour, string> = { prometheus: 'prometheus', clickhouse: 'grafana-clickhouse-datasource' }

function query(target: Target, spec: QuerySpec, refId: string): Builder<Dataquery> {
  if (target.flavour === 'clickhouse') {
    const type = spec.shape === 'range' ? 'timeseries' : spec.shape === 'logs' ? 'logs' : 'table'
    return new ClickHouseQueryBuilder(spec.text, type).refId(refId).datasource(target.datasourceUid)
  }
  const q = new DataqueryBuilder().expr(spec.text).refId(refId).datasource({ type: 'prometheus', uid: target.datasourceUid })
  if (spec.legend) q.legendFormat(spec.legend)
  return spec.shape === 'instant' ? q.instant().format(PromQueryFormat.Table) : q.range()
}

type AnyPanel = TimeseriesPanel | StatPanel | TablePanel | StateTimelinePanel | LogsPanel

function withQueries<P extends AnyPanel>(panel: P, target: Target, specs: QuerySpec[]): P {
  panel.datasource({ type: DATASOURCE_TYPE[target.flavour], uid: target.datasourceUid })
  specs.forEach((spec, i) => panel.withTarget(query(target, spec, String.fromCharCode(65 + i))))
  return panel
}

const legend = () => new VizLegendOptionsBuilder().showLegend(true).displayMode(LegendDisplayMode.List).placement(LegendPlacement.Bottom).calcs([])
const steps = (list: Threshold[]) => new ThresholdsConfigBuilder().mode(ThresholdsMode.Absolute).steps(list)

export interface PanelSize {
  w: number
  h: number
}

export function timeseries(title: string, description: string, unit: string, target: Target, specs: QuerySpec[], size: PanelSize): TimeseriesPanel {
  return withQueries(new TimeseriesPanel(), target, specs)
    .title(title)
    .description(description)
    .unit(unit)
    .legend(legend())
    .lineWidth(2)
    .fillOpacity(10)
    .spanNulls(false)
    .gridPos({ x: 0, y: 0, ...size })
}

/** Budget remaining as a ratio: red when spent, orange under a quarter left. */
export const BUDGET_THRESHOLDS: Threshold[] = [
  { value: null, color: 'red' },
  { value: 0, color: 'orange' },
  { value: 0.25, color: 'green' },
]

export function budgetStat(title: string, target: Target, spec: QuerySpec, size: PanelSize): StatPanel {
  return withQueries(new StatPanel(), target, [spec])
    .title(title)
    .description('Share of the error budget of the SLO window still unspent: 100% untouched, 0% spent, negative overspent.')
    .unit('percentunit')
    .decimals(2)
    .noValue('no data')
    .reduceOptions(new ReduceDataOptionsBuilder().calcs(['lastNotNull']).values(false))
    .thresholds(steps(BUDGET_THRESHOLDS))
    .gridPos({ x: 0, y: 0, ...size })
}

/** Seconds since the SLO's latest evaluation, red once it is stale (the figures around it are not current). */
export function evaluationAgeStat(target: Target, spec: QuerySpec, staleAfterSeconds: number, size: PanelSize): StatPanel {
  return withQueries(new StatPanel(), target, [spec])
    .title('Last evaluated')
    .description(
      `Time since cairn last evaluated this SLO. Red past ${formatDuration(staleAfterSeconds)} (three engine intervals plus the settle delay): ` +
        'the figures on this dashboard are not current, because the engine is down or this SLO fails to evaluate. CairnSloEvaluationStale pages on the same condition.',
    )
    .unit('s')
    .decimals(0)
    .noValue('not in 7 days')
    .reduceOptions(new ReduceDataOptionsBuilder().calcs(['lastNotNull']).values(false))
    .thresholds(steps([{ value: null, color: 'green' }, { value: staleAfterSeconds, color: 'red' }]))
    .gridPos({ x: 0, y: 0, ...size })
}

export function budgetBurnDown(target: Target, spec: QuerySpec, size: PanelSize): TimeseriesPanel {
  return timeseries('Error budget burn-down', 'Remaining error budget of the SLO window over time; below 0% the SLO is breached.', 'percentunit', target, [spec], size)
    .thresholds(steps(BUDGET_THRESHOLDS))
    .thresholdsStyle(new GraphThresholdsStyleConfigBuilder().mode(GraphThresholdsStyleMode.LineAndArea))
}

const WINDOW_COLOURS: Record<string, string> = { 'ticket/slow': 'yellow', 'ticket/quick': 'orange', 'page/slow': 'red', 'page/quick': 'dark-red' }

/** Burn rates with one dashed threshold line per alert window's factor. */
export function burnRates(target: Target, specs: QuerySpec[], windows: BurnRateAlertWindow[], size: PanelSize): TimeseriesPanel {
  const lines = [...windows].sort((a, b) => a.factor - b.factor).map((w) => ({ value: round(w.factor), color: WINDOW_COLOURS[`${w.severity}/${w.speed}`] ?? 'red' }))
  const described = windows.map((w) => `${w.severity} ${formatDuration(w.longWindowSeconds)} & ${formatDuration(w.shortWindowSeconds)} at ${round(w.factor)}×`).join('; ')
  return timeseries('Burn rate per alert window', `Error rate ÷ error budget per window. Alerts fire when both windows of a pair exceed its factor: ${described}.`, 'x', target, specs, size)
    .thresholds(steps([{ value: null, color: 'green' }, ...lines]))
    .thresholdsStyle(new GraphThresholdsStyleConfigBuilder().mode(GraphThresholdsStyleMode.Dashed))
    .min(0)
}

/** Factors such as 5.6000000000000005 (28d) read better rounded; thresholds do not need more than 6 digits. */
const round = (x: number) => Math.round(x * 1e6) / 1e6

export function sliPanel(target: Target, specs: QuerySpec[], objectiveRatio: number, size: PanelSize): TimeseriesPanel {
  return timeseries('SLI against objective', `The SLI over the SLO window against its objective (${+(objectiveRatio * 100).toFixed(6)}%).`, 'percentunit', target, specs, size)
    .decimals(3)
    .thresholds(steps([{ value: null, color: 'red' }, { value: +objectiveRatio.toFixed(10), color: 'green' }]))
    .thresholdsStyle(new GraphThresholdsStyleConfigBuilder().mode(GraphThresholdsStyleMode.Dashed))
}

export function eventsPanel(target: Target, specs: QuerySpec[], unit: string, description: string, size: PanelSize): TimeseriesPanel {
  return timeseries('Good and bad events', description, unit, target, specs, size)
    .drawStyle(GraphDrawStyle.Bars)
    .fillOpacity(60)
    .stacking(new StackingConfigBuilder().mode(StackingMode.Normal))
    .overrideByName('bad', [{ id: 'color', value: { mode: 'fixed', fixedColor: 'red' } }])
    .overrideByName('good', [{ id: 'color', value: { mode: 'fixed', fixedColor: 'green' } }])
}

/** Alert state: a state timeline of firing severities (Prometheus) or the current state table (ClickHouse). */
export function alertStatePanel(target: Target, spec: QuerySpec, size: PanelSize): StateTimelinePanel | TablePanel {
  const description = 'Page and ticket alerts of this SLO.'
  if (target.flavour === 'prometheus') {
    return withQueries(new StateTimelinePanel(), target, [spec])
      .title('Alert state')
      .description(`${description} Coloured while firing.`)
      .mappings([{ type: 'value' as never, options: { '1': { text: 'firing', color: 'red', index: 0 } } } as never])
      .noValue('not firing')
      .gridPos({ x: 0, y: 0, ...size })
  }
  return withQueries(new TablePanel(), target, [spec])
    .title('Alert state')
    .description(`${description} Current state per severity, from the alert state the engine keeps.`)
    .noValue('no alert has fired')
    .gridPos({ x: 0, y: 0, ...size })
}

export function telemetryPanel(target: Target, panel: TelemetryPanel, size: PanelSize): TimeseriesPanel | LogsPanel {
  if (panel.visual === 'logs') {
    return withQueries(new LogsPanel(), target, panel.queries)
      .title(panel.title)
      .description(panel.description)
      .showTime(true)
      .wrapLogMessage(true)
      .enableLogDetails(true)
      .gridPos({ x: 0, y: 0, ...size })
  }
  return timeseries(panel.title, panel.description, panel.unit, target, panel.queries, size)
}

/** A table of SLOs, lowest remaining budget first. */
export function sloTable(title: string, target: Target, spec: QuerySpec, size: PanelSize): TablePanel {
  const budgetField = target.flavour === 'prometheus' ? 'Value' : 'budget remaining'
  return withQueries(new TablePanel(), target, [spec])
    .title(title)
    .description('Every SLO with its remaining error budget, lowest first.')
    .sortBy([new TableSortByFieldStateBuilder().displayName(budgetField).desc(false)])
    .overrideByName(budgetField, [
      { id: 'unit', value: 'percentunit' },
      { id: 'displayName', value: 'budget remaining' },
      { id: 'custom.cellOptions', value: { type: 'color-background' } },
      { id: 'thresholds', value: { mode: 'absolute', steps: BUDGET_THRESHOLDS } },
    ])
    .withTransformation({ id: 'organize', options: { excludeByName: { Time: true } } })
    .gridPos({ x: 0, y: 0, ...size })
}

export function markdown(title: string, content: string, size: PanelSize): TextPanel {
  return new TextPanel().title(title).mode(TextMode.Markdown).content(content).gridPos({ x: 0, y: 0, ...size })
}

export type { Panel }

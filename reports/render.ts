import type { AlertFiring, ContributorResult, PeriodFigures, Report, SloReport } from './build.ts'

// The report as the API answers it (times as RFC 3339) and as chat-friendly
// markdown, which `cairn report` prints from that JSON.

const iso = (ms: number) => new Date(ms).toISOString()


const firingJson = (a: AlertFiring) => ({ severity: a.severity, firedAt: iso(a.firedAtMs), resolvedAt: a.resolvedAtMs === undefined ? null : iso(a.resolvedAtMs), durationSeconds: a.durationSeconds })

function figuresJson(f: PeriodFigures) {
  const { evaluatedAtMs, alerts, ...rest } = f
  return { evaluatedAt: evaluatedAtMs === null ? null : iso(evaluatedAtMs), ...rest, alerts: alerts.map(firingJson) }
}

function contributorJson(c: ContributorResult | null) {
  if (c === null) return null
  if ('skipped' in c) return c
  return { top: c.top, from: iso(c.fromMs), to: iso(c.toMs) }
}

function sloJson(r: SloReport) {
  const { previous, change, contributor, id, name, service, team, ...current } = r
  return { id, name, service, team, ...figuresJson(current), previous: figuresJson(previous), change, contributors: contributorJson(contributor) }
}

export function reportJson(r: Report) {
  return {
    period: r.period,
    from: iso(r.current.startMs),
    to: iso(r.current.endMs),
    previous: { from: iso(r.previous.startMs), to: iso(r.previous.endMs) },
    generatedAt: iso(r.generatedAtMs),
    filter: r.filter,
    summary: r.summary,
    teams: r.teams.map((t) => ({ team: t.team, services: t.services.map((s) => ({ service: s.service, slos: s.slos.map(sloJson) })) })),
    notes: r.notes,
  }
}

export type ReportJson = ReturnType<typeof reportJson>
type SloJson = ReportJson['teams'][number]['services'][number]['slos'][number]

const pct = (v: number | null, digits = 3) => (v === null ? 'n/a' : `${(v * 100).toFixed(digits)} %`)
const points = (v: number | null) => (v === null ? 'n/a' : `${v >= 0 ? '+' : ''}${(v * 100).toFixed(1)} pp`)

export function formatSeconds(s: number): string {
  if (s < 60) return `${Math.round(s)}s`
  const m = Math.round(s / 60)
  return m < 60 ? `${m}m` : `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`
}

function verdict(s: SloJson): string {
  if (s.met === null) return 'no data'
  return s.met ? 'met' : '**missed**'
}

function contributorText(s: SloJson): string {
  const c = s.contributors
  if (c === null) return ''
  if ('skipped' in c) return `contributors ${c.skipped}`
  if (!c.top) return 'no bad events to attribute'
  return `top contributor ${c.top.key}=${c.top.value ?? '(unset)'} (${(c.top.budgetShare * 100).toFixed(0)} % of bad events${c.top.exampleTraceId ? `, trace ${c.top.exampleTraceId}` : ''})`
}

function sloLines(s: SloJson): string[] {
  const alerts = s.alerts.map((a) => `${a.severity} ${a.firedAt.slice(0, 16).replace('T', ' ')} for ${formatSeconds(a.durationSeconds)}${a.resolvedAt === null ? ' (still firing)' : ''}`)
  const lines = [
    `- **${s.name}** (\`${s.id}\`): ${verdict(s)}, SLI ${pct(s.sli)}${s.sliOver === 'window' ? ' (over the SLO\'s window)' : ''} vs ${pct(s.objective)}; budget spent ${pct(s.budgetSpent, 1)}, remaining ${pct(s.budgetRemaining, 1)}`,
    `  - vs previous: SLI ${points(s.change.sli)}, budget spent ${points(s.change.budgetSpent)}, alerts ${s.change.alerts >= 0 ? '+' : ''}${s.change.alerts}`,
  ]
  if (alerts.length > 0) lines.push(`  - alerts: ${alerts.join('; ')}`)
  const c = contributorText(s)
  if (c) lines.push(`  - ${c}`)
  return lines
}

export function reportMarkdown(r: ReportJson): string {
  const s = r.summary
  const out = [
    `# SLO report: ${r.period} ${r.from.slice(0, 10)} to ${r.to.slice(0, 10)}`,
    '',
    `${s.met} met, ${s.missed} missed, ${s.noData} without data, of ${s.slos} SLOs; ${s.alertsFired} alerts fired (${formatSeconds(s.alertSeconds)} in all).`,
  ]
  for (const t of r.teams) {
    out.push('', `## Team ${t.team ?? '(none)'}`)
    for (const svc of t.services) out.push('', `### ${svc.service}`, '', ...svc.slos.flatMap(sloLines))
  }
  if (r.notes.length > 0) out.push('', ...r.notes.map((n) => `_Note: ${n}_`))
  return `${out.join('\n')}\n`
}

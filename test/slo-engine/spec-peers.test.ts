import { readdirSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { formatSpecError, loadSloFiles, type Slo } from '../../slo-engine/index.ts'
import { peersPath } from '../support/peers.ts'
import { requirePeers } from '../support/needs.ts'

// Real Sloth and OpenSLO files, read unchanged.
const PEERS = peersPath()
const SLOTH_EXAMPLES = join(PEERS, 'sloth/examples')
const SLOTH_TESTDATA = join(PEERS, 'sloth/test/integration/prometheus/testdata')
const OPENSLO = join(PEERS, 'openslo/examples')
const DAY = 86400

const load = async (...files: string[]) => loadSloFiles(files)
const byId = (slos: Slo[]) => new Map(slos.map((s) => [s.id, s]))
const messages = (errors: { file: string; line: number; column: number; message: string }[]) => errors.map(formatSpecError)

requirePeers().describe('Sloth prometheus/v1 and PrometheusServiceLevel files', () => {
  it('loads every example file without an error', async () => {
    for (const name of readdirSync(SLOTH_EXAMPLES).filter((f) => /\.ya?ml$/.test(f))) {
      const { slos, errors } = await load(join(SLOTH_EXAMPLES, name))
      expect(messages(errors), name).toEqual([])
      expect(slos.length, name).toBeGreaterThan(0)
    }
  })

  it('reads getting-started.yml with its objective, default 30d window, queries, labels and alerts', async () => {
    const { slos } = await load(join(SLOTH_EXAMPLES, 'getting-started.yml'))
    expect(slos).toHaveLength(1)
    const slo = slos[0]!
    expect(slo.id).toBe('myservice-requests-availability')
    expect(slo.service).toBe('myservice')
    expect(slo.objectivePercent).toBe(99.9)
    expect(slo.window).toEqual({ kind: 'rolling', seconds: 30 * DAY })
    expect(slo.budgeting).toEqual({ method: 'occurrences' })
    expect(slo.sli).toEqual({
      kind: 'promql',
      form: 'events',
      errorQuery: 'sum(rate(http_request_duration_seconds_count{job="myservice",code=~"(5..|429)"}[{{.window}}]))',
      totalQuery: 'sum(rate(http_request_duration_seconds_count{job="myservice"}[{{.window}}]))',
    })
    expect(slo.labels).toEqual({ owner: 'myteam', repo: 'myorg/myservice', tier: '2' })
    expect(slo.alerting.name).toBe('MyServiceHighErrorRate')
    expect(slo.alerting.labels).toEqual({ category: 'availability' })
    expect(slo.alerting.annotations).toEqual({ summary: "High error rate on 'myservice' requests responses" })
    expect(slo.alerting.page).toEqual({ enabled: true, labels: { severity: 'pageteam', routing_key: 'myteam' }, annotations: {} })
    expect(slo.alerting.ticket).toEqual({ enabled: true, labels: { severity: 'slack', slack_channel: '#alerts-myteam' }, annotations: {} })
    expect(slo.source).toEqual({ format: 'sloth', file: join(SLOTH_EXAMPLES, 'getting-started.yml'), line: 9, column: 5 })
  })

  it('applies the default SLO period option, as --default-slo-period', async () => {
    const { slos } = await loadSloFiles([join(SLOTH_TESTDATA, 'in-base.yaml')], { defaultSloPeriodSeconds: 28 * DAY })
    expect(slos.map((s) => s.window)).toEqual([
      { kind: 'rolling', seconds: 28 * DAY },
      { kind: 'rolling', seconds: 28 * DAY },
    ])
  })

  it('reads the Kubernetes resource (camelCase) exactly as the prometheus/v1 file', async () => {
    const plain = (await load(join(SLOTH_TESTDATA, 'in-base.yaml'))).slos
    const k8s = (await load(join(SLOTH_TESTDATA, 'in-base-k8s.yaml'))).slos
    const strip = (s: Slo) => ({ ...s, source: undefined })
    expect(k8s.map(strip)).toEqual(plain.map(strip))
    const raw = byId(plain).get('svc01-slo02')!
    expect(raw.sli).toEqual({
      kind: 'promql',
      form: 'raw',
      errorRatioQuery:
        'sum(rate(http_request_duration_seconds_count{job="myservice",code=~"(5..|429)"}[{{.window}}]))\n/\nsum(rate(http_request_duration_seconds_count{job="myservice"}[{{.window}}]))\n',
    })
    expect(raw.labels).toEqual({ global01k1: 'global01v1', global03k1: 'global03v1' })
    expect(raw.alerting.page.enabled).toBe(false)
    expect(raw.alerting.ticket.enabled).toBe(false)
    expect(raw.objectivePercent).toBe(95)
  })

  it('reads every integration input, and rejects the unknown version where it is written', async () => {
    const multi = await load(join(SLOTH_TESTDATA, 'in-multifile.yaml'))
    expect(multi.slos.map((s) => [s.id, s.objectivePercent])).toEqual([
      ['svc01-slo1', 99.9],
      ['svc01-slo02', 95],
      ['svc02-slo1', 99.99],
      ['svc02-slo02', 95],
    ])
    const plugin = await load(join(SLOTH_TESTDATA, 'in-sli-plugin.yaml'))
    expect(plugin.slos[0]!.sli).toEqual({ kind: 'external', sourceType: 'sloth-sli-plugin', queries: { plugin: { id: 'integration_test', options: { job: 'svc01', filter: 'guybrush="threepwood",melee="island"' } } } })
    const invalid = await load(join(SLOTH_TESTDATA, 'in-invalid-version.yaml'))
    expect(invalid.slos).toEqual([])
    expect(messages(invalid.errors)).toEqual([`${join(SLOTH_TESTDATA, 'in-invalid-version.yaml')}:1:10: version: unsupported Sloth spec version "prometheus/v999"; expected prometheus/v1`])
  })

  it('accepts each validate/good file', async () => {
    const dir = join(SLOTH_TESTDATA, 'validate/good')
    for (const name of readdirSync(dir)) expect(messages((await load(join(dir, name))).errors), name).toEqual([])
  })

  it('rejects each validate/bad file at the offending line and column', async () => {
    const dir = join(SLOTH_TESTDATA, 'validate/bad')
    const at = async (name: string) => messages((await load(join(dir, name))).errors).map((m) => m.slice(dir.length + 1))
    for (const name of ['bad-aa.yaml', 'bad-ab.yaml', 'bad-ba.yaml']) {
      expect(await at(name)).toEqual([`${name}:28:16: slos[1].objective: expected an objective above 0 and below 100 (percent) (got 101)`])
    }
    expect(await at('bad-k8s.yaml')).toEqual([
      'bad-k8s.yaml:7:12: spec.service: expected the service name: letters, digits, ".", "_" or "-", starting with a letter or digit (got "")',
    ])
    expect(await at('bad-multi-k8s.yaml')).toEqual([
      'bad-multi-k8s.yaml:22:15: spec.slos[0].alerting.name: is required while the page or ticket alert is enabled (set page_alert.disable and ticket_alert.disable to true to go without)',
    ])
    expect(await at('bad-multi.yaml')).toEqual(['bad-multi.yaml:77:10: slos[1].sli: expected exactly one SLI type: events, raw or plugin'])
    // Sloth rejects this one only because Sloth's OpenSLO support is limited to
    // its default period; cairn computes any window, so a 28-day one is fine.
    const openslo = await load(join(dir, 'bad-openslo.yaml'))
    expect(openslo.errors).toEqual([])
    expect(openslo.slos[0]!.window).toEqual({ kind: 'rolling', seconds: 28 * DAY })
  })

  it('reports an id defined in two files at the second definition', async () => {
    const dir = join(SLOTH_TESTDATA, 'validate_with_duplicates/prom')
    const { slos, errors } = await load(dir)
    expect(slos.map((s) => s.id)).toEqual(['svc01-slo1', 'svc01-slo02'])
    expect(slos.every((s) => s.source.file.endsWith('bad-prom-1-duplicate.yaml'))).toBe(true)
    expect(messages(errors)).toEqual([
      `${dir}/bad-prom-1-original.yaml:6:5: duplicate SLO id "svc01-slo1" (first defined at ${dir}/bad-prom-1-duplicate.yaml:6:5)`,
      `${dir}/bad-prom-1-original.yaml:27:5: duplicate SLO id "svc01-slo02" (first defined at ${dir}/bad-prom-1-duplicate.yaml:27:5)`,
    ])
  })

  it('reads Sloth OpenSLO v1alpha files with Sloth-compatible ids, one SLO per objective', async () => {
    const { slos, errors } = await load(join(SLOTH_EXAMPLES, 'openslo-kubernetes-apiserver.yml'))
    expect(errors).toEqual([])
    expect(slos.map((s) => [s.id, s.objectivePercent, s.window])).toEqual([
      ['k8s-apiserver-requests-availability-openslo-0', 99.9, { kind: 'rolling', seconds: 30 * DAY }],
      ['k8s-apiserver-requests-latency-openslo-0', 99, { kind: 'rolling', seconds: 30 * DAY }],
      ['k8s-apiserver-requests-latency-openslo-1', 99.9, { kind: 'rolling', seconds: 30 * DAY }],
    ])
    expect(slos[2]!.sli).toEqual({
      kind: 'promql',
      form: 'goodTotal',
      goodQuery: 'sum(rate(apiserver_request_duration_seconds_bucket{le="5",verb!="WATCH"}[{{.window}}]))',
      totalQuery: 'sum(rate(apiserver_request_duration_seconds_count{verb!="WATCH"}[{{.window}}]))',
    })
    expect(slos.every((s) => !s.alerting.page.enabled && !s.alerting.ticket.enabled)).toBe(true)
  })
})

requirePeers().describe('OpenSLO v1 examples', () => {
  it('reads the Occurrences example: threshold SLI on an "Any" source, 2w rolling, 99%', async () => {
    const { slos, errors } = await load(join(OPENSLO, 'budgeting-method/occurences-slo.yaml'))
    expect(errors).toEqual([])
    expect(slos).toHaveLength(1)
    const slo = slos[0]!
    expect(slo.id).toBe('web-shop-search-slo')
    expect(slo.displayName).toBe('Good experience')
    expect(slo.objectivePercent).toBe(99)
    expect(slo.window).toEqual({ kind: 'rolling', seconds: 14 * DAY })
    expect(slo.budgeting).toEqual({ method: 'occurrences' })
    expect(slo.sli).toEqual({ kind: 'external', sourceType: 'Any', queries: { thresholdMetric: { query: 'Any' } } })
    expect(slo.source.format).toBe('openslo')
  })

  it('reads RatioTimeslices with a 1m slice', async () => {
    const { slos, errors } = await load(join(OPENSLO, 'budgeting-method/ratio-timeslices.yaml'))
    expect(errors).toEqual([])
    expect(slos[0]!.budgeting).toEqual({ method: 'ratioTimeslices', sliceSeconds: 60 })
    expect(slos[0]!.objectivePercent).toBe(99)
    expect(slos[0]!.sli).toEqual({ kind: 'external', sourceType: 'Any', queries: { good: { query: 'Any' }, total: { query: 'Any' } } })
  })

  it('reads Timeslices on a calendar week in the given time zone', async () => {
    const { slos, errors } = await load(join(OPENSLO, 'treat-low-traffic-as-equally-important/timeslices-slo.yaml'))
    expect(errors).toEqual([])
    expect(slos[0]!.id).toBe('web-availability-service-availability')
    expect(slos[0]!.objectivePercent).toBe(99.95)
    expect(slos[0]!.window).toEqual({ kind: 'calendar', period: 'week', timeZone: 'America/New_York' })
    expect(slos[0]!.budgeting).toEqual({ method: 'timeslices', sliceSeconds: 60, sliceTarget: 0.95 })
  })

  it('refuses a one-minute calendar window and says a month is 1M', async () => {
    const file = join(OPENSLO, 'budgeting-method/timeslices-slo.yaml')
    const { slos, errors } = await load(file)
    expect(slos).toEqual([])
    expect(messages(errors)).toEqual([
      `${file}:27:17: spec.timeWindow[0].duration: expected a calendar period of 1d, 1w, 1M, 1Q or 1Y (got "1m") ("1m" is minutes in OpenSLO; a month is "1M")`,
    ])
  })
})

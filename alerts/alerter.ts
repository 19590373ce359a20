import { Counter, Gauge } from 'prom-client'
import type { AlertsConfig } from '../config/index.ts'
import type { Logger, Registry } from '../instrumentation/index.ts'
import { isComputedSli, type Leadership, type NotifyTarget, type Slo, type SloEvaluation } from '../slo-engine/index.ts'
import type { Storage } from '../storage/index.ts'
import { evaluateConditions } from './condition.ts'
import { alertLabels } from './labels.ts'
import { alertAnnotations, exhaustedAtText } from './message.ts'
import { createDispatcher, type DispatchOutcome } from './notify/dispatcher.ts'
import type { FetchLike } from './notify/http.ts'
import type { AlertNotice } from './notify/notice.ts'
import { createNotifier, type Notifier } from './notify/notifiers.ts'
import { notifyUrlAllowlist } from './notify/allowlist.ts'
import { redactUrl } from './notify/secrets.ts'
import { alertPolicyFor, extraWindowsSeconds, SEVERITIES, type PolicyOverrides, type Severity } from './policy.ts'
import { loadAlertStates, saveAlertStates } from './state-store.ts'
import { deliveryDue, initialState, settled, stepAlert, type AlertState } from './state.ts'
import { configuredWindows } from './rule-config.ts'

// Paging from the engine: after each evaluation of an SLO, the policy decides
// whether its page and ticket conditions hold, the state machine moves, the
// state is persisted, and notices are queued for the SLO's targets. Delivery
// happens in the background (see notify/dispatcher.ts): onEvaluated returns as
// soon as the state is stored.

export interface AlerterDeps {
  config: AlertsConfig
  storage: Storage
  logger: Logger
  registry: Registry
  fetch?: FetchLike
  now?: () => number
  /**
   * Where the burn sits (docs/attribution.md), as one line for the
   * `attribution` annotation. Asked when an alert fires, off the tick: the
   * first notice waits for it at most EXPLAIN_WAIT_MS (then goes without it),
   * so a slow read delays no evaluation and a page by no more than that.
   */
  explain?: (slo: Slo, atMs: number) => Promise<string | undefined>
  /** The alert windows files' overrides, when the caller loaded them already; default: loaded from config.windowsPath. */
  windows?: PolicyOverrides
  /**
   * Engine replicas (docs/replicas.md): notices are queued and
   * sent only while this replica holds the engine lease, under the epoch they
   * were queued in. Absent: always sends (one engine).
   */
  leadership?: Leadership
}

export interface Alerter {
  /** Loads the persisted alert states; call before the first evaluation, and again when this replica takes the engine lease over. */
  start(): Promise<void>
  /** This replica stopped leading: forgets the alert states (the leader owns them now); queued notices are dropped unsent. */
  standBy(): void
  /** The engine's hook after each evaluation of an SLO. */
  onEvaluated(slo: Slo, evaluation: SloEvaluation): Promise<void>
  /** The engine's hook after each tick: resolves the alerts of SLOs not in `evaluatedIds` (gone) and forgets them once delivered. */
  onTickDone(evaluatedIds: ReadonlySet<string>, atMs: number): Promise<void>
  /** Windows (seconds) the policy needs beyond the engine's standard ones. */
  extraWindowsSeconds(slo: Slo): number[]
  /** The current state of every alert (for tests and the API). */
  states(): AlertState[]
  /** Waits until queued notices are delivered or given up. */
  flush(timeoutMs?: number): Promise<void>
  /** Waits (up to timeoutMs) for queued deliveries, then stops. */
  stop(timeoutMs?: number): Promise<void>
}

/** The global targets from configuration, used by SLOs that name none. */
export function globalTargets(config: AlertsConfig): NotifyTarget[] {
  const targets: NotifyTarget[] = []
  if (config.alertmanagerUrl) targets.push({ type: 'alertmanager', url: config.alertmanagerUrl })
  if (config.pagerdutyRoutingKey) targets.push({ type: 'pagerduty', routingKey: config.pagerdutyRoutingKey, url: config.pagerdutyUrl })
  if (config.webhookUrl) targets.push({ type: 'webhook', url: config.webhookUrl, headers: config.webhookHeaders })
  return targets
}

const stateKey = (sloId: string, severity: Severity) => `${sloId}/${severity}`

const EXPLAIN_WAIT_MS = 5_000

const GONE_REASON = 'the SLO is no longer evaluated (removed from the catalog, or its SLI is no longer computed by cairn)'

export function createAlerter(deps: AlerterDeps): Alerter {
  const { config, storage, logger } = deps
  const now = deps.now ?? Date.now
  const resendMs = config.resendIntervalSeconds * 1000
  const windows = deps.windows ?? configuredWindows(config)
  const states = new Map<string, AlertState>()
  const lastEvaluatedMs = new Map<string, number>()
  const notifiers = new Map<string, Notifier>()
  let writes: Promise<void> = Promise.resolve()

  const transitions = new Counter({ name: 'cairn_alert_transitions_total', help: 'Alert state changes', labelNames: ['severity', 'to'], registers: [deps.registry] })
  const firing = new Gauge({
    name: 'cairn_alerts_firing',
    help: 'Alerts firing now',
    labelNames: ['severity'],
    registers: [deps.registry],
    collect() {
      for (const severity of SEVERITIES) this.set({ severity }, [...states.values()].filter((s) => s.severity === severity && s.status === 'firing').length)
    },
  })
  void firing
  const persistFailures = new Counter({ name: 'cairn_alert_state_write_failures_total', help: 'Alert state writes to ClickHouse that failed', registers: [deps.registry] })

  /** The attribution line of each firing alert, by state key, once known; and the explanations under way. */
  const explanations = new Map<string, string>()
  const explaining = new Set<Promise<void>>()
  /** Asks for the line (EXPLAIN_WAIT_MS at most), then delivers the fired alert with it. */
  function explainThenDeliver(key: string, slo: Slo, atMs: number, send: (line: string | undefined) => void): void {
    let timer: NodeJS.Timeout | undefined
    const timeout = new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), EXPLAIN_WAIT_MS)))
    const done: Promise<void> = Promise.race([deps.explain!(slo, atMs), timeout])
      .catch((err: unknown) => {
        logger.warn({ slo: slo.id, error: (err as Error).message }, 'burn attribution for the alert failed: sent without it')
        return undefined
      })
      .then((line) => {
        clearTimeout(timer)
        if (line) explanations.set(key, line)
        send(line)
      })
      .finally(() => explaining.delete(done))
    explaining.add(done)
  }

  const leadership = deps.leadership
  const dispatcher = createDispatcher({ logger, registry: deps.registry, now, onOutcome, ...(leadership && { leaseEpoch: () => leadership.epoch() }) })

  const globals = globalTargets(config)
  const allowlist = notifyUrlAllowlist(config)
  const refusedLogged = new Set<string>()
  /**
   * A per-SLO target whose URL the allow-list does not admit gets nothing: the
   * catalog may hold a spec stored before the allow-list was narrowed.
   */
  function allowed(slo: Slo, spec: NotifyTarget): boolean {
    const refused = 'url' in spec && spec.url !== undefined ? allowlist.check(spec.url) : undefined
    if (refused === undefined) return true
    const key = `${slo.id} ${spec.url}`
    if (!refusedLogged.has(key)) {
      refusedLogged.add(key)
      logger.error({ slo: slo.id, notifier: spec.type, url: redactUrl(spec.url!) }, `notification target refused: ${refused}`)
    }
    return false
  }

  /** One notifier per distinct target (so one queue per target), looked up by the target's spec. */
  function notifiersFor(slo: Slo | undefined): Notifier[] {
    const targets = slo?.alerting.notify?.filter((spec) => allowed(slo, spec)) ?? globals
    return targets.map((spec) => {
      const id = JSON.stringify(spec)
      let notifier = notifiers.get(id)
      if (!notifier) {
        notifier = createNotifier(spec, { retry: config.retry, fetch: deps.fetch, onRetry })
        notifiers.set(id, notifier)
      }
      return notifier
    })
  }

  function onRetry(notifier: Notifier, attempt: number, error: string, delayMs: number): void {
    logger.warn({ notifier: notifier.kind, target: notifier.target, attempt, error, retryInMs: delayMs }, 'alert notice failed: retrying')
  }

  /**
   * Stores states in one insert per batch: rows that arrive while a write is
   * running go together into the next one (a tick where many alerts change is
   * a few inserts, not one per SLO). Resolves once the caller's rows are
   * written; a failed write is logged and counted, and the next change writes
   * the state again.
   */
  let nextBatch: { rows: AlertState[]; written: Promise<void> } | undefined
  function persist(changed: AlertState[]): Promise<void> {
    if (!nextBatch) {
      const batch: { rows: AlertState[]; written: Promise<void> } = { rows: [], written: Promise.resolve() }
      batch.written = writes.then(() => {
        nextBatch = undefined
        return saveAlertStates(storage, batch.rows).catch((err) => {
          persistFailures.inc()
          logger.error({ err, alerts: batch.rows.map((r) => stateKey(r.sloId, r.severity)) }, 'alert state not stored')
        })
      })
      nextBatch = batch
      writes = batch.written
    }
    nextBatch.rows.push(...changed.map((s) => ({ ...s })))
    return nextBatch.written
  }

  /** Each write of a key gets a later updated_at than the last, so the newest row always wins. */
  function touch(state: AlertState): AlertState {
    const previous = states.get(stateKey(state.sloId, state.severity))?.updatedAtMs ?? 0
    return { ...state, updatedAtMs: Math.max(now(), previous + 1) }
  }

  function onOutcome({ notifier, notices, result, sentAtMs }: DispatchOutcome): void {
    if (!result.ok) return
    const changed: AlertState[] = []
    const gone = new Set<string>()
    for (const notice of notices) {
      const key = stateKey(notice.sloId, notice.severity)
      const current = states.get(key)
      // Only if the alert is still in the state the notice was about.
      if (!current || current.status !== notice.status || current.firedAtMs !== notice.firedAtMs) continue
      const notified = notice.status === 'firing' && !current.notified.includes(notifier.key) ? [...current.notified, notifier.key] : current.notified
      const next = touch({ ...current, delivered: { ...current.delivered, [notifier.key]: sentAtMs }, notified })
      states.set(key, next)
      changed.push(next)
      if (goneIds.has(next.sloId)) gone.add(next.sloId)
    }
    if (changed.length > 0) void persist(changed)
    // A gone SLO is forgotten once its last resolve is delivered (the row stays stored).
    for (const sloId of gone) forgetIfSettled(sloId)
  }

  function notice(state: AlertState, validForMs: number, slo?: Slo, evaluation?: SloEvaluation): AlertNotice {
    return {
      key: stateKey(state.sloId, state.severity),
      status: state.status === 'resolved' ? 'resolved' : 'firing',
      sloId: state.sloId,
      service: slo?.service ?? state.labels.service ?? '',
      severity: state.severity,
      labels: state.labels,
      annotations: state.annotations,
      firedAtMs: state.firedAtMs!,
      endsAtMs: state.status === 'resolved' ? state.resolvedAtMs! : now() + validForMs,
      ...(slo &&
        evaluation && {
          evaluation: {
            evaluatedAtMs: evaluation.evaluatedAtMs,
            objectivePercent: slo.objectivePercent,
            sli: evaluation.sli,
            budgetRemainingRatio: evaluation.budgetRemainingRatio,
            burnRates: evaluation.burnRates,
            budgetExhaustedAt: exhaustedAtText(slo, evaluation),
          },
        }),
    }
  }

  function deliver(state: AlertState, targets: Notifier[], validForMs: number, slo?: Slo, evaluation?: SloEvaluation): void {
    const leaseEpoch = leadership?.epoch()
    if (leadership && leaseEpoch === undefined) return // standing by: the leading replica delivers
    for (const notifier of targets) {
      // Resends are timed on the clock deliveries are stamped with (evaluation times are whole minutes).
      if (!deliveryDue(state, notifier.key, notifier.resends, resendMs, now())) continue
      const n = { ...notice(state, validForMs, slo, evaluation), leaseEpoch }
      if (!notifier.resends && dispatcher.isPending(notifier, n)) continue
      dispatcher.enqueue(notifier, n)
    }
  }

  // The targets each SLO last paged through: a gone SLO's resolve goes there.
  const lastTargets = new Map<string, Notifier[]>()
  // SLOs the last tick did not evaluate whose alerts are still remembered.
  const goneIds = new Set<string>()

  /** Closes one alert of an SLO that is gone: pending is cancelled, firing resolves with the reason. */
  function closeGone(state: AlertState, atMs: number): AlertState {
    const next = touch(
      state.status === 'pending'
        ? { ...state, status: 'inactive', activeSinceMs: undefined }
        : { ...state, status: 'resolved', resolvedAtMs: atMs, delivered: {}, annotations: { ...state.annotations, resolved_reason: GONE_REASON } },
    )
    transitions.inc({ severity: next.severity, to: next.status })
    logger.warn({ slo: state.sloId, severity: state.severity, from: state.status, to: next.status }, 'alert of an SLO no longer evaluated: closed')
    return next
  }

  /** Forgets an SLO that is gone once nothing about it is left to deliver. */
  function forgetIfSettled(sloId: string): void {
    const keys = SEVERITIES.map((severity) => stateKey(sloId, severity))
    const remembered = keys.map((key) => states.get(key)).filter((s) => s !== undefined)
    if (!remembered.every((s) => settled(s, now()))) return
    for (const key of keys) states.delete(key)
    goneIds.delete(sloId)
    lastEvaluatedMs.delete(sloId)
    lastTargets.delete(sloId)
  }

  /**
   * SLOs that leave the catalog (or stop being computed) are evaluated no
   * more: the engine says after each tick which SLOs it evaluated, and the
   * alerts of every other SLO resolve, so no page stays open for an SLO that
   * is gone. Their resolves are retried at every tick like any other.
   */
  async function onTickDone(evaluatedIds: ReadonlySet<string>, atMs: number): Promise<void> {
    const changed: AlertState[] = []
    for (const [key, state] of states) {
      if (evaluatedIds.has(state.sloId)) continue
      goneIds.add(state.sloId)
      let current = state
      if (state.status === 'firing' || state.status === 'pending') {
        current = closeGone(state, atMs)
        states.set(key, current)
        changed.push(current)
      }
      if (current.status === 'resolved') deliver(current, lastTargets.get(current.sloId) ?? notifiersFor(undefined), 0)
    }
    for (const sloId of goneIds) forgetIfSettled(sloId)
    if (changed.length > 0) await persist(changed)
  }

  async function onEvaluated(slo: Slo, evaluation: SloEvaluation): Promise<void> {
    if (!isComputedSli(slo.sli)) return
    const at = evaluation.evaluatedAtMs
    goneIds.delete(slo.id) // back in the catalog
    const policy = alertPolicyFor(slo, windows)
    const conditions = evaluateConditions(policy, evaluation)
    const targets = notifiersFor(slo)
    lastTargets.set(slo.id, targets)
    const changed: AlertState[] = []
    const gapMs = at - (lastEvaluatedMs.get(slo.id) ?? at)
    lastEvaluatedMs.set(slo.id, at)
    // Alertmanager resolves an alert whose endsAt passes: keep it valid for four resends or evaluations.
    const validForMs = 4 * Math.max(resendMs, gapMs)
    for (const severity of SEVERITIES) {
      const key = stateKey(slo.id, severity)
      const spec = slo.alerting[severity]
      const prev = states.get(key) ?? initialState(slo.id, severity)
      const active = spec.enabled && conditions[severity].active
      const step = stepAlert(prev, active, at, (spec.forSeconds ?? 0) * 1000)
      let state = step.state
      if (state.status === 'firing') {
        // Fresh numbers in every resend; the identity is fixed when it fires.
        const line = explanations.get(key)
        const annotations = { ...alertAnnotations(slo, severity, policy, evaluation, conditions[severity], { dashboardUrlTemplate: config.dashboardUrl }), ...(line && { attribution: line }) }
        state = { ...state, annotations, labels: step.transition === 'fired' ? alertLabels(slo, severity) : state.labels }
      }
      if (step.transition !== 'none') {
        state = touch(state)
        changed.push(state)
        transitions.inc({ severity, to: state.status })
        const log = step.transition === 'fired' || step.transition === 'resolved' ? logger.warn.bind(logger) : logger.info.bind(logger)
        log({ slo: slo.id, severity, from: prev.status, to: state.status, burnRates: evaluation.burnRates }, `alert ${step.transition}`)
      }
      if (state.status !== 'firing') explanations.delete(key)
      states.set(key, state)
      if (step.transition === 'fired' && deps.explain) {
        explainThenDeliver(key, slo, at, (found) => {
          const current = states.get(key)
          if (current?.status !== 'firing' || current.firedAtMs !== state.firedAtMs) return
          const next = found ? { ...current, annotations: { ...current.annotations, attribution: found } } : current
          states.set(key, next)
          deliver(next, targets, validForMs, slo, evaluation)
        })
      } else deliver(state, targets, validForMs, slo, evaluation)
    }
    if (changed.length > 0) await persist(changed)
  }

  /** Drops what this process knows of the alerts: the stored states are the truth once another replica may have moved them. */
  function forget(): void {
    for (const map of [states, lastEvaluatedMs, lastTargets, explanations]) map.clear()
    goneIds.clear()
  }

  return {
    async start() {
      const loaded = await loadAlertStates(storage)
      forget()
      for (const state of loaded) states.set(stateKey(state.sloId, state.severity), state)
      const firingNow = [...states.values()].filter((s) => s.status === 'firing').map((s) => stateKey(s.sloId, s.severity))
      logger.info({ alerts: states.size, firing: firingNow }, 'alert state loaded')
    },
    standBy: forget,
    onEvaluated,
    onTickDone,
    extraWindowsSeconds: (slo) => extraWindowsSeconds(slo, windows),
    states: () => [...states.values()],
    flush: async (timeoutMs) => {
      await Promise.all(explaining)
      await dispatcher.idle(timeoutMs)
      await writes
    },
    async stop(timeoutMs = 10_000) {
      await Promise.all(explaining)
      await dispatcher.idle(timeoutMs)
      await writes
    },
  }
}

import { Counter, Gauge } from 'prom-client'
import type { Logger, Registry } from '../../instrumentation/index.ts'
import type { DeliveryResult } from './http.ts'
import type { AlertNotice } from './notice.ts'
import type { Notifier } from './notifiers.ts'

// Delivery runs beside the evaluation, never inside it: each notifier has its
// own queue and worker, so a slow or failing PagerDuty neither delays the
// engine nor the Alertmanager next to it. A queue holds at most one notice per
// alert (a newer notice replaces a waiting one), so it stays bounded however
// long a target is down.

export interface DispatchOutcome {
  notifier: Notifier
  notices: AlertNotice[]
  result: DeliveryResult
  sentAtMs: number
}

export interface DispatcherDeps {
  logger: Logger
  registry: Registry
  onOutcome: (outcome: DispatchOutcome) => void
  now?: () => number
  /**
   * The engine lease epoch this replica holds now (undefined: none). Checked
   * just before each send: a notice queued under another epoch is dropped
   * unsent, since the replica that leads now sends from the stored state.
   */
  leaseEpoch?: () => number | undefined
}

interface Lane {
  notifier: Notifier
  queued: Map<string, AlertNotice>
  inFlight: Map<string, AlertNotice>
  running: Promise<void> | undefined
  consecutiveFailures: number
}

export interface Dispatcher {
  enqueue(notifier: Notifier, notice: AlertNotice): void
  /** A notice about this alert with this status is waiting or being sent. */
  isPending(notifier: Notifier, notice: Pick<AlertNotice, 'key' | 'status' | 'firedAtMs'>): boolean
  /** Resolves when every queue is empty (or the deadline passes). */
  idle(timeoutMs?: number): Promise<void>
}

export function createDispatcher(deps: DispatcherDeps): Dispatcher {
  const now = deps.now ?? Date.now
  const lanes = new Map<string, Lane>()
  const labels = ['notifier', 'target'] as const
  const sent = new Counter({ name: 'cairn_alert_notifications_total', help: 'Alert notices delivered (outcome="success") or given up after all retries (outcome="failure")', labelNames: [...labels, 'outcome'], registers: [deps.registry] })
  const attempts = new Counter({ name: 'cairn_alert_notification_attempts_total', help: 'HTTP requests made to notification targets, retries included', labelNames: labels, registers: [deps.registry] })
  const failing = new Gauge({ name: 'cairn_alert_notifier_consecutive_failures', help: 'Deliveries in a row a notification target has failed (0 = healthy)', labelNames: labels, registers: [deps.registry] })
  const queued = new Gauge({ name: 'cairn_alert_notifier_queue_length', help: 'Alert notices waiting for a notification target', labelNames: labels, registers: [deps.registry] })
  const fenced = new Counter({ name: 'cairn_alert_notices_fenced_total', help: 'Alert notices dropped unsent because this replica lost the engine lease after queuing them (the leading replica sends them)', labelNames: labels, registers: [deps.registry] })
  const lastSuccess = new Gauge({ name: 'cairn_alert_notifier_last_success_timestamp_seconds', help: 'When a notification target last accepted a notice', labelNames: labels, registers: [deps.registry] })

  const metricLabels = (n: Notifier) => ({ notifier: n.kind, target: n.target })

  function laneOf(notifier: Notifier): Lane {
    let lane = lanes.get(notifier.key)
    if (!lane) {
      lane = { notifier, queued: new Map(), inFlight: new Map(), running: undefined, consecutiveFailures: 0 }
      lanes.set(notifier.key, lane)
      failing.set(metricLabels(notifier), 0)
    }
    return lane
  }

  function kick(lane: Lane): void {
    if (lane.running) return
    lane.running = drain(lane).finally(() => {
      lane.running = undefined
      if (lane.queued.size > 0) kick(lane) // enqueued while the worker was finishing
    })
  }

  async function drain(lane: Lane): Promise<void> {
    const { notifier } = lane
    while (lane.queued.size > 0) {
      const taken = notifier.batches ? [...lane.queued.values()] : [lane.queued.values().next().value!]
      for (const n of taken) lane.queued.delete(n.key)
      queued.set(metricLabels(notifier), lane.queued.size)
      const batch = unfenced(notifier, taken)
      if (batch.length === 0) continue
      for (const n of batch) lane.inFlight.set(n.key, n)
      let result: DeliveryResult
      try {
        result = await notifier.send(batch)
      } catch (err) {
        result = { ok: false, attempts: 1, error: (err as Error).message }
      }
      lane.inFlight.clear()
      record(lane, batch, result)
    }
  }

  /** The notices still queued under the lease epoch this replica holds; the others are dropped and counted. */
  function unfenced(notifier: Notifier, notices: AlertNotice[]): AlertNotice[] {
    if (!deps.leaseEpoch) return notices
    const epoch = deps.leaseEpoch()
    const kept = notices.filter((n) => epoch !== undefined && n.leaseEpoch === epoch)
    if (kept.length < notices.length) {
      fenced.inc(metricLabels(notifier), notices.length - kept.length)
      deps.logger.info({ notifier: notifier.kind, target: notifier.target, alerts: notices.filter((n) => !kept.includes(n)).map((n) => `${n.key} ${n.status}`), epoch }, 'alert notices not sent: this replica no longer holds the engine lease they were queued under')
    }
    return kept
  }

  function record(lane: Lane, notices: AlertNotice[], result: DeliveryResult): void {
    const { notifier } = lane
    const m = metricLabels(notifier)
    attempts.inc(m, result.attempts)
    sent.inc({ ...m, outcome: result.ok ? 'success' : 'failure' }, notices.length)
    lane.consecutiveFailures = result.ok ? 0 : lane.consecutiveFailures + 1
    failing.set(m, lane.consecutiveFailures)
    const alerts = notices.map((n) => `${n.key} ${n.status}`)
    if (result.ok) {
      lastSuccess.set(m, now() / 1000)
      deps.logger.info({ notifier: notifier.kind, target: notifier.target, alerts, attempts: result.attempts }, 'alert notice delivered')
    } else {
      deps.logger.error(
        { notifier: notifier.kind, target: notifier.target, alerts, attempts: result.attempts, status: result.status, error: result.error, consecutiveFailures: lane.consecutiveFailures },
        'alert notice not delivered: retried at the next evaluation',
      )
    }
    deps.onOutcome({ notifier, notices, result, sentAtMs: now() })
  }

  return {
    enqueue(notifier, notice) {
      const lane = laneOf(notifier)
      lane.queued.set(notice.key, notice)
      queued.set(metricLabels(notifier), lane.queued.size)
      kick(lane)
    },
    isPending(notifier, notice) {
      const lane = lanes.get(notifier.key)
      if (!lane) return false
      const same = (n: AlertNotice | undefined) => n !== undefined && n.status === notice.status && n.firedAtMs === notice.firedAtMs
      return same(lane.queued.get(notice.key)) || same(lane.inFlight.get(notice.key))
    },
    async idle(timeoutMs = 30_000) {
      const deadline = now() + timeoutMs
      for (;;) {
        const running = [...lanes.values()].map((l) => l.running).filter(Boolean)
        if (running.length === 0 || now() >= deadline) return
        await Promise.race([Promise.all(running), new Promise((r) => setTimeout(r, Math.max(0, deadline - now())).unref())])
      }
    },
  }
}

// cairn web UI: what every page shares. Plain script, no build step.
// The API token (when cairn has tokens configured) is asked for once and kept
// in sessionStorage: for this tab's session only, never in a cookie or on disk.
'use strict'

const cairn = (() => {
  const TOKEN_KEY = 'cairn.apiToken'
  const token = () => sessionStorage.getItem(TOKEN_KEY)
  let pendingPrompt = null

  /** Shows the token dialog; resolves when a token was entered. */
  function askForToken(reason) {
    if (pendingPrompt) return pendingPrompt
    const dialog = document.getElementById('token-dialog')
    const input = document.getElementById('token-input')
    document.getElementById('token-reason').textContent = reason
    pendingPrompt = new Promise((resolve) => {
      dialog.addEventListener('close', function onClose() {
        dialog.removeEventListener('close', onClose)
        pendingPrompt = null
        const value = input.value.trim()
        input.value = ''
        if (value) sessionStorage.setItem(TOKEN_KEY, value)
        resolve(Boolean(value))
      })
    })
    dialog.showModal()
    input.focus()
    return pendingPrompt
  }

  class ApiError extends Error {
    constructor(status, code, message, details) {
      super(message)
      this.status = status
      this.code = code
      this.details = details
    }
  }

  /** A call to the API with the session's token; a 401 asks for a token and retries. */
  async function api(path, options = {}) {
    for (;;) {
      const headers = Object.assign({}, options.headers)
      if (token()) headers.authorization = `Bearer ${token()}`
      const res = await fetch(path, Object.assign({}, options, { headers }))
      if (res.status === 401) {
        const had = Boolean(token())
        sessionStorage.removeItem(TOKEN_KEY)
        refreshTokenButton()
        const entered = await askForToken(had ? 'That token was refused. Enter a valid token.' : 'This cairn requires a token (one of CAIRN_API_TOKENS with the read role).')
        if (!entered) throw new ApiError(401, 'unauthorized', 'a token is required')
        refreshTokenButton()
        continue
      }
      if (!res.ok) {
        let body = null
        try { body = await res.json() } catch { /* not JSON */ }
        const e = body && body.error
        throw new ApiError(res.status, e ? e.code : 'http', e ? e.message : `${res.status} ${res.statusText}`, e && e.details)
      }
      return options.raw ? res : res.json()
    }
  }

  function refreshTokenButton() {
    const button = document.getElementById('forget-token')
    if (button) button.hidden = !token()
  }

  function showProblem(error) {
    const box = document.getElementById('problem')
    box.textContent = error instanceof ApiError ? `The API answered ${error.status}: ${error.message}` : `Could not load the data: ${error.message}`
    box.hidden = false
  }

  /** Creates an element: el('td', { class: 'num' }, 'text', child, …). */
  function el(tag, attrs, ...children) {
    const node = document.createElement(tag)
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === undefined || v === null || v === false) continue
      if (k === 'text') node.textContent = v
      else if (k.startsWith('on')) node.addEventListener(k.slice(2), v)
      else node.setAttribute(k, v === true ? '' : String(v))
    }
    for (const c of children.flat()) if (c !== undefined && c !== null && c !== false) node.append(c instanceof Node ? c : String(c))
    return node
  }

  const pct = (ratio, digits = 2) => (ratio === null || ratio === undefined || !Number.isFinite(ratio) ? '—' : `${(ratio * 100).toFixed(digits)} %`)
  /** An SLI or objective: enough digits to tell 99.95 % from 99.9 %. */
  const sliPct = (ratio) => {
    if (ratio === null || ratio === undefined) return '—'
    const p = ratio * 100
    return `${p >= 99 ? p.toFixed(3).replace(/0+$/, '').replace(/\.$/, '') : p.toFixed(2)} %`
  }
  const rate = (r) => (r === null || r === undefined || !Number.isFinite(r) ? '—' : r >= 100 ? r.toFixed(0) : r >= 10 ? r.toFixed(1) : r.toFixed(2))
  const count = (n) => (n === null || n === undefined ? '—' : Math.round(n).toLocaleString('en'))
  const time = (iso) => (iso ? new Date(iso).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' }) : '—')

  /** Level of a burn rate against the policy thresholds of that window: page, ticket or ok. */
  function burnLevel(value, thresholds) {
    if (value === null || value === undefined || !thresholds) return 'none'
    let level = 'ok'
    for (const t of thresholds) {
      if (value >= t.threshold) {
        if (t.severity === 'page') return 'page'
        level = 'ticket'
      }
    }
    return level
  }

  /** Thresholds by burn-rate window key, from a policy view of the API. */
  function thresholdsByWindow(policy) {
    const out = {}
    for (const w of policy ? policy.windows : []) {
      for (const key of [w.shortWindow, w.longWindow]) (out[key] = out[key] || []).push({ severity: w.severity, threshold: w.threshold })
    }
    return out
  }

  /** The state to show: error (with its reason), no data, pending… or ok. */
  function stateText(status) {
    switch (status.state) {
      case 'ok': return 'ok'
      case 'no_data': return 'no data'
      case 'pending': return 'pending (not evaluated yet)'
      case 'not_computed': return 'not computed (Prometheus evaluates it)'
      case 'error': return `error${status.reason || status.error ? `: ${status.reason || status.error.message || status.error}` : ''}`
      default: return status.state
    }
  }

  function alertBadges(alerts) {
    const out = []
    for (const severity of ['page', 'ticket']) {
      const a = alerts && alerts[severity]
      const state = a ? a.state : 'inactive'
      out.push(el('span', { class: `badge alert-${state}`, title: a && a.activeSince ? `active since ${time(a.activeSince)}` : undefined }, `${severity}: ${state === 'firing' ? '▲ firing' : state}`))
    }
    return out
  }

  /** Fetches with the token and saves the answer as a file (plain links could not carry the token). */
  async function download(path, filename) {
    const res = await api(path, { raw: true })
    const url = URL.createObjectURL(await res.blob())
    const a = el('a', { href: url, download: filename })
    document.body.append(a)
    a.click()
    a.remove()
    setTimeout(() => URL.revokeObjectURL(url), 10_000)
  }

  document.addEventListener('DOMContentLoaded', () => {
    refreshTokenButton()
    const button = document.getElementById('forget-token')
    button.addEventListener('click', () => { sessionStorage.removeItem(TOKEN_KEY); refreshTokenButton(); location.reload() })
  })

  return { api, ApiError, el, pct, sliPct, rate, count, time, burnLevel, thresholdsByWindow, stateText, alertBadges, showProblem, download }
})()

// One budget of request-body bytes held in memory at once, across every
// receiver and route of the process (collector and API). A request reserves
// what it declares (or what it has read so far) before reading more; when the
// budget is spent it is refused with 429 and Retry-After instead of being
// read, so four 60 MiB gzip bodies cannot take the process's memory together.

/** The budget is spent: the sender should retry after `retryAfterSeconds`. */
export class BudgetExhaustedError extends Error {
  constructor(
    readonly requestedBytes: number,
    readonly limitBytes: number,
    readonly retryAfterSeconds: number,
  ) {
    super(
      `the server is holding its limit of ${limitBytes} bytes of request bodies (limits.inflightBodyBytes); ` +
        `this body needs ${requestedBytes} more: retry after ${retryAfterSeconds}s`,
    )
    this.name = 'BudgetExhaustedError'
  }
}

/** Bytes one request holds; grow it as the body is read, release it once decoded. */
export class Reservation {
  private held = 0
  private released = false

  constructor(private readonly budget: ByteBudget) {}

  get bytes(): number {
    return this.held
  }

  /** Holds `total` bytes in all (no-op when it already holds as many); throws BudgetExhaustedError when the budget cannot. */
  growTo(total: number): void {
    if (total <= this.held || this.released) return
    this.budget.take(total - this.held, this.held)
    this.held = total
  }

  release(): void {
    if (this.released) return
    this.released = true
    this.budget.give(this.held)
    this.held = 0
  }
}

export class ByteBudget {
  private used = 0
  /** The most held at once since start, for the benchmark and /metrics. */
  peak = 0

  constructor(
    readonly limitBytes: number,
    readonly retryAfterSeconds: number,
  ) {}

  get inUse(): number {
    return this.used
  }

  reserve(): Reservation {
    return new Reservation(this)
  }

  /** @internal via Reservation */
  take(bytes: number, heldByCaller: number): void {
    // A request alone may always go over: its own size limit bounds it, and refusing it would refuse it forever.
    const others = this.used - heldByCaller
    if (others > 0 && this.used + bytes > this.limitBytes) throw new BudgetExhaustedError(bytes, this.limitBytes, this.retryAfterSeconds)
    this.used += bytes
    if (this.used > this.peak) this.peak = this.used
  }

  /** @internal via Reservation */
  give(bytes: number): void {
    this.used = Math.max(0, this.used - bytes)
  }
}

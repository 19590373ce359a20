/** A `cairn` subcommand. `run` returns the process exit code. */
export interface Command {
  name: string
  summary: string
  usage: string
  run(args: string[]): Promise<number>
}

/** A failure the user can fix: printed as one message, without a stack trace. */
export class UsageError extends Error {
  constructor(message: string, readonly exitCode = 2) {
    super(message)
    this.name = 'UsageError'
  }
}

/**
 * What postgresStore needs from a client, for `pg` (a Pool) and postgres.js alike: one prepared
 * statement with `$n` values and rows as arrays (no column-name transform can reach them), bounded
 * by the store's timeout and cancelled on the server when it runs out; a plain SQL script (the
 * migrations); and a LISTEN connection for the verdict cache. The two clients: ./driver-pg.ts and
 * ./driver-postgres-js.ts; which one a store has: `driverOf` in ./options.ts.
 */
/** Callbacks of a LISTEN connection. */
export interface ListenEvents {
  notify(payload: string): void
  /** The connection is gone (or was replaced): notifications may have been lost. */
  closed(): void
}

/** An open LISTEN connection. */
export interface Listener {
  /**
   * Sends `payload` on the channel — on the LISTEN connection itself where it can (pg), else
   * through the pool (postgres.js). The caller waits for it to come back.
   */
  send(payload: string): PromiseLike<unknown>
  close(): void
}

/** One client, as the store sees it. */
export interface Driver {
  readonly kind: 'pg' | 'postgres.js'
  /** One prepared statement; rows as arrays. Rejects after `timeoutMs`, and cancels it on the server. */
  run(text: string, values: readonly unknown[]): Promise<unknown[][]>
  /** Several statements in one simple-protocol message (no values): the migrations. */
  script(text: string): Promise<void>
  /** Opens a LISTEN connection on `channel`. */
  listen(channel: string, events: ListenEvents): Promise<Listener>
}

/** The error of a call that ran out of time. */
export class StoreTimeout extends Error {
  override name = 'StoreTimeout'
}

/** The error of a call that ran out of time, for `within` (../util.ts). */
export const timeoutError = (ms: number) => () =>
  new StoreTimeout(`tokenward: PostgreSQL did not answer within ${ms} ms`)

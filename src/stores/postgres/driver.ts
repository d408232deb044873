/**
 * What postgresStore needs from a client, for `pg` (a Pool) and postgres.js alike: one prepared
 * statement with `$n` values and rows as arrays (no column-name transform can reach them), bounded
 * by the store's timeout and cancelled on the server when it runs out; a plain SQL script (the
 * migrations); and a LISTEN connection for the verdict cache.
 */
import type { PgPoolLike, PostgresJsLike, PostgresStoreOptions } from './types.js'

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

const MAKE_CLIENT = "new Pool({ connectionString }) from 'pg', or postgres(url) from 'postgres' (postgres.js)"

/** FNV-1a, 32 bit: a short name for a prepared statement, from its text. */
function fnv1a(text: string): string {
  let h = 0x811c9dc5
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i)
    h = Math.imul(h, 0x01000193) >>> 0
  }
  return h.toString(16).padStart(8, '0')
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return (typeof value === 'object' || typeof value === 'function') && value !== null
}

function timeoutError(ms: number) {
  return new StoreTimeout(`tokenward: PostgreSQL did not answer within ${ms} ms`)
}

/** `options.client` as a driver, or an error that says what to pass instead. */
export function driverOf(options: PostgresStoreOptions, timeoutMs: number): Driver {
  const client: unknown = options.client
  if (isRecord(client) && typeof client.unsafe === 'function' && typeof client.listen === 'function')
    return postgresJs(client as unknown as PostgresJsLike, timeoutMs)
  if (isRecord(client) && typeof client.connect === 'function' && typeof client.query === 'function') {
    if (typeof client.totalCount !== 'number' || !isRecord(client.options))
      throw new TypeError(
        'tokenward: postgresStore `client` must be a pg Pool, not a single pg Client (the store runs ' +
          `statements side by side) — ${MAKE_CLIENT}`,
      )
    return pgPool(client as unknown as PgPoolLike, timeoutMs)
  }
  throw new TypeError(
    `tokenward: postgresStore \`client\` must be a pg Pool or a postgres.js client, got ${
      typeof client === 'string'
        ? `the string '${client}' (a connection string is not a client)`
        : String(client)
    } — ${MAKE_CLIENT}`,
  )
}

// --- pg ---------------------------------------------------------------------------------------------

interface PgClient {
  query(config: object): Promise<{ rows: unknown[] }>
  release(destroy?: boolean | Error): void
  on(event: 'error', listener: (err: unknown) => void): unknown
  off(event: 'error', listener: (err: unknown) => void): unknown
  processID?: unknown
  secretKey?: unknown
}
interface PgListenClient {
  connect(): Promise<unknown>
  query(text: string, values?: unknown[]): Promise<unknown>
  end(): Promise<unknown>
  on(event: string, listener: (...args: unknown[]) => void): unknown
}
type PgClientClass = new (config: object) => PgListenClient

function pgPool(pool: PgPoolLike, timeoutMs: number): Driver {
  const raw = pool as unknown as { options: Record<string, unknown>; Client?: PgClientClass }
  /** The pool's settings for a connection of our own (pg-pool hides the password from spreads). */
  const settings = (extra: object) => {
    const options = raw.options
    const ssl = isRecord(options.ssl) ? { ...options.ssl, key: options.ssl.key } : options.ssl
    return { ...options, password: options.password, ssl, ...extra }
  }
  const ClientClass = () => {
    if (typeof raw.Client !== 'function') throw new Error('tokenward: this pg Pool has no Client class')
    return raw.Client
  }
  /**
   * Asks the server to cancel what `client` runs now: a CancelRequest (its backend's pid and secret
   * key) on a connection of its own, as pg's `Client#cancel` sends it.
   */
  const cancel = (client: PgClient) => {
    try {
      const canceler = new (ClientClass())(settings({})) as unknown as {
        host: string
        port: number
        connection: {
          connect(portOrPath: number | string, host?: string): void
          on(event: string, listener: (...args: unknown[]) => void): void
          cancel(pid: unknown, secret: unknown): void
        }
      }
      const con = canceler.connection
      con.on('error', () => {}) // best effort: the statement's connection is not reused anyway
      con.on('connect', () => con.cancel(client.processID, client.secretKey))
      if (canceler.host.startsWith('/')) con.connect(`${canceler.host}/.s.PGSQL.${canceler.port}`)
      else con.connect(canceler.port, canceler.host)
    } catch {
      // Best effort, as above.
    }
  }
  const named = new Map<string, string>()
  const nameOf = (text: string) => {
    let name = named.get(text)
    if (name === undefined) {
      name = `tokenward_${fnv1a(text)}_${text.length}`
      named.set(text, name)
    }
    return name
  }

  return {
    kind: 'pg',
    run(text, values) {
      return new Promise((resolve, reject) => {
        let client: PgClient | undefined
        let late = false
        const timer = setTimeout(() => {
          late = true
          reject(timeoutError(timeoutMs))
          if (client) cancel(client)
        }, timeoutMs)
        pool.connect().then(
          (c) => {
            client = c as PgClient
            // Out of time while waiting for a connection (an exhausted pool): give it back unused.
            if (late) {
              client.release()
              return
            }
            // A checked-out client that loses its connection emits 'error' (pg-pool listens only
            // to idle ones): the statement rejects with it; the client is not reused.
            let broken = false
            const onError = () => {
              broken = true
            }
            client.on('error', onError)
            const done = (destroy: boolean) => {
              client!.off('error', onError)
              // A connection we sent a cancel for is not reused either: the cancel may still arrive.
              client!.release(destroy || late || broken)
            }
            client.query({ name: nameOf(text), text, values, rowMode: 'array' }).then(
              (result) => {
                clearTimeout(timer)
                done(false)
                resolve(result.rows as unknown[][])
              },
              (err: unknown) => {
                clearTimeout(timer)
                done(!isRecord(err) || typeof err.code !== 'string')
                reject(err instanceof Error ? err : new Error(String(err)))
              },
            )
          },
          (err: unknown) => {
            clearTimeout(timer)
            reject(err instanceof Error ? err : new Error(String(err)))
          },
        )
      })
    },
    async script(text) {
      await pool.query(text)
    },
    async listen(channel, events) {
      const client = new (ClientClass())(settings({ application_name: `tokenward:${channel}` }))
      let closed = false
      const close = () => {
        if (closed) return
        closed = true
        client.end().catch(() => {})
        events.closed()
      }
      client.on('error', close)
      client.on('end', close)
      client.on('notification', (message) => {
        if (isRecord(message) && message.channel === channel && typeof message.payload === 'string')
          events.notify(message.payload)
      })
      try {
        await client.connect()
        await client.query(`LISTEN "${channel}"`)
      } catch (err) {
        close()
        throw err
      }
      return { send: (payload) => client.query('SELECT pg_notify($1, $2)', [channel, payload]), close }
    },
  }
}

// --- postgres.js -----------------------------------------------------------------------------------

interface PendingQuery extends PromiseLike<unknown> {
  values(): PendingQuery
  cancel(): unknown
}

function postgresJs(sql: PostgresJsLike, timeoutMs: number): Driver {
  const unsafe = sql.unsafe.bind(sql) as (text: string, values?: unknown[], options?: object) => PendingQuery
  return {
    kind: 'postgres.js',
    run(text, values) {
      return new Promise((resolve, reject) => {
        const query = unsafe(text, values as unknown[], { prepare: true }).values()
        const timer = setTimeout(() => {
          reject(timeoutError(timeoutMs))
          // Cancels it on the server, or takes it out of the queue if it is not sent yet. (Seen on
          // PostgreSQL 15: a postgres.js statement blocked on a lock ignores the cancel request until
          // the lock goes; the client's statement_timeout stops it — docs/postgres.md, "Timeouts".)
          Promise.resolve()
            .then(() => query.cancel())
            .catch(() => {})
        }, timeoutMs)
        query.then(
          (rows) => {
            clearTimeout(timer)
            resolve(rows as unknown[][])
          },
          (err: unknown) => {
            clearTimeout(timer)
            reject(err instanceof Error ? err : new Error(String(err)))
          },
        )
      })
    },
    async script(text) {
      await unsafe(text)
    },
    async listen(channel, events) {
      // postgres.js keeps one LISTEN connection per client and reconnects it by itself; `onlisten`
      // runs after every (re)connection. A second call means the connection was lost meanwhile:
      // whatever was announced in between is lost, so it counts as closed.
      let registered = 0
      let closed = false
      const close = () => {
        if (closed) return
        closed = true
        events.closed()
      }
      const meta = await sql.listen(
        channel,
        (payload) => {
          if (!closed) events.notify(payload)
        },
        () => {
          if (++registered > 1) close()
        },
      )
      return {
        send: (payload) => unsafe('SELECT pg_notify($1, $2)', [channel, payload], { prepare: true }),
        close() {
          close()
          meta.unlisten().catch(() => {})
        },
      }
    },
  }
}

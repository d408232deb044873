/**
 * The `pg` side of ./driver.ts: a statement takes a connection from the Pool (`connect()`, one
 * named prepared statement, `release()`), and is cancelled on the server when it runs out of time;
 * the LISTEN connection is a `Client` of the store's own, made with the pool's settings.
 */
import { fnv1a, isRecord, within } from '../util.js'
import { type Driver, type ListenEvents, type Listener, timeoutError } from './driver.js'
import type { PgPoolLike } from './types.js'

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

/** How to make a connection of the store's own with the pool's settings. */
interface PgConnector {
  settings(extra: object): object
  Client(): PgClientClass
}

function connector(pool: PgPoolLike): PgConnector {
  const raw = pool as unknown as { options: Record<string, unknown>; Client?: PgClientClass }
  return {
    // pg-pool hides the password (and an ssl key) from spreads: copied by name.
    settings(extra) {
      const options = raw.options
      const ssl = isRecord(options.ssl) ? { ...options.ssl, key: options.ssl.key } : options.ssl
      return { ...options, password: options.password, ssl, ...extra }
    },
    Client() {
      if (typeof raw.Client !== 'function') throw new Error('tokenward: this pg Pool has no Client class')
      return raw.Client
    },
  }
}

/**
 * Asks the server to cancel what `client` runs now: a CancelRequest (its backend's pid and secret
 * key) on a connection of its own, as pg's `Client#cancel` sends it. Best effort.
 */
function cancel(pg: PgConnector, client: PgClient) {
  try {
    const canceler = new (pg.Client())(pg.settings({})) as unknown as {
      host: string
      port: number
      connection: {
        connect(portOrPath: number | string, host?: string): void
        on(event: string, listener: (...args: unknown[]) => void): void
        cancel(pid: unknown, secret: unknown): void
      }
    }
    const con = canceler.connection
    con.on('error', () => {}) // the statement's connection is not reused anyway
    con.on('connect', () => con.cancel(client.processID, client.secretKey))
    if (canceler.host.startsWith('/')) con.connect(`${canceler.host}/.s.PGSQL.${canceler.port}`)
    else con.connect(canceler.port, canceler.host)
  } catch {
    // Best effort, as above.
  }
}

const asError = (err: unknown) => (err instanceof Error ? err : new Error(String(err)))

/** Runs one statement on `client` (checked out by `run`); settles through `settle`. */
function onClient(
  client: PgClient,
  statement: { name: string; text: string; values: readonly unknown[] },
  late: () => boolean,
  settle: (err: Error | undefined, rows?: unknown[][]) => void,
) {
  // A checked-out client that loses its connection emits 'error' (pg-pool listens only to idle
  // ones): the statement rejects with it, and the client is not reused.
  let broken = false
  const onError = () => {
    broken = true
  }
  client.on('error', onError)
  const done = (destroy: boolean) => {
    client.off('error', onError)
    // A connection we sent a cancel for is not reused either: the cancel may still arrive.
    client.release(destroy || late() || broken)
  }
  client.query({ ...statement, rowMode: 'array' }).then(
    (result) => {
      done(false)
      settle(undefined, result.rows as unknown[][])
    },
    (err: unknown) => {
      done(!isRecord(err) || typeof err.code !== 'string')
      settle(asError(err))
    },
  )
}

async function listen(pg: PgConnector, channel: string, events: ListenEvents): Promise<Listener> {
  const client = new (pg.Client())(pg.settings({ application_name: `tokenward:${channel}` }))
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
  // The heartbeat runs on the LISTEN connection itself: it answers while the pool is exhausted.
  return { send: (payload) => client.query('SELECT pg_notify($1, $2)', [channel, payload]), close }
}

/** The driver of a pg Pool. */
export function pgPool(pool: PgPoolLike, timeoutMs: number): Driver {
  const pg = connector(pool)
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
      let client: PgClient | undefined
      let late = false
      const running = new Promise<unknown[][]>((resolve, reject) => {
        pool.connect().then((c) => {
          client = c as PgClient
          // Out of time while waiting for a connection (an exhausted pool): give it back unused.
          if (late) return client.release()
          onClient(
            client,
            { name: nameOf(text), text, values },
            () => late,
            (err, rows) => (err ? reject(err) : resolve(rows!)),
          )
        }, reject)
      })
      return within(running, timeoutMs, timeoutError(timeoutMs), () => {
        late = true
        if (client) cancel(pg, client)
      })
    },
    async script(text) {
      await pool.query(text)
    },
    listen: (channel, events) => listen(pg, channel, events),
  }
}

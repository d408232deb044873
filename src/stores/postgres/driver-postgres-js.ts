/**
 * The postgres.js side of ./driver.ts: `sql.unsafe(text, values, { prepare: true })`, cancelled
 * with `.cancel()` when it runs out of time; the LISTEN connection is postgres.js's own `sql.listen`.
 */
import { within } from '../util.js'
import { type Driver, timeoutError } from './driver.js'
import type { PostgresJsLike } from './types.js'

interface PendingQuery extends PromiseLike<unknown> {
  values(): PendingQuery
  cancel(): unknown
}

/** The driver of a postgres.js client. */
export function postgresJs(sql: PostgresJsLike, timeoutMs: number): Driver {
  const unsafe = sql.unsafe.bind(sql) as (text: string, values?: unknown[], options?: object) => PendingQuery
  return {
    kind: 'postgres.js',
    run(text, values) {
      const query = unsafe(text, values as unknown[], { prepare: true }).values()
      // Out of time: cancelled on the server, or taken out of the queue if not sent yet. (Seen on
      // PostgreSQL 15: a postgres.js statement blocked on a lock ignores the cancel request until
      // the lock goes; the client's statement_timeout stops it — docs/postgres.md, "Timeouts".)
      const cancel = () => {
        Promise.resolve()
          .then(() => query.cancel())
          .catch(() => {})
      }
      return within(query, timeoutMs, timeoutError(timeoutMs), cancel) as Promise<unknown[][]>
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

/**
 * `tokenward/postgres`: a `TokenStore` on PostgreSQL, through a `pg` Pool or a postgres.js client —
 * for teams whose database is PostgreSQL and who run no Redis. Revocations, spent refresh tokens,
 * subject cutoffs, rate-limit counters and session records live in tables of one schema
 * (`tokenward` by default), shared by every instance of the app and kept across restarts.
 *
 * - `await store.migrate()` creates the schema (versioned; the same SQL is in docs/postgres.md).
 * - Every row carries its expiry: queries ignore expired rows; a sweep deletes them in batches.
 * - The request-path check (token id, family id, subject cutoff) is ONE statement; every write
 *   is one atomic statement (`INSERT … ON CONFLICT … RETURNING`, or one function call).
 * - A call that fails or exceeds `timeoutMs` rejects (the statement is cancelled on the server);
 *   the core answers 503 `store_unavailable`: fail closed.
 * - The answers of the check are cached in the process and kept exact by LISTEN/NOTIFY (./listen.ts,
 *   and the engine in ../verdict-cache/): a known token costs no statement, and a revocation
 *   committed anywhere reaches every instance in milliseconds.
 *
 * @packageDocumentation
 */
import { warnOnceThrough } from '../util.js'
import { NO_VERDICT_CACHE, sharedVerdictCache, type Verdicts } from '../verdict-cache/index.js'
import type { Driver } from './driver.js'
import { listenSource } from './listen.js'
import { driverOf, type StoreSettings, storeSettings } from './options.js'
import { postgresRevocations } from './revocations.js'
import { storeRunner, unexpected } from './runner.js'
import { channelOf } from './schema.js'
import { postgresSessions } from './sessions.js'
import { postgresSpends } from './spends.js'
import { statements } from './statements.js'
import type { PostgresStoreOptions, PostgresTokenStore } from './types.js'

export { schemaSql } from './schema.js'
export type {
  PgPoolLike,
  PostgresCacheOptions,
  PostgresCacheStats,
  PostgresJsLike,
  PostgresStoreOptions,
  PostgresTokenStore,
} from './types.js'

/**
 * Creates the PostgreSQL store on a `pg` Pool or a postgres.js client (neither is a dependency of
 * tokenward; the client type is detected at run time). Call `await store.migrate()` once — at
 * startup, or from your deploy — or apply the SQL of docs/postgres.md with your own migrations.
 *
 * @example
 * ```ts
 * import pg from 'pg'
 * import { createAuth } from 'tokenward'
 * import { postgresStore } from 'tokenward/postgres'
 *
 * const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL })
 * const store = postgresStore({ client: pool })
 * await store.migrate()
 * const auth = createAuth({ secret: process.env.JWT_SECRET!, store })
 * ```
 *
 * @example
 * ```ts
 * import postgres from 'postgres'
 * import { postgresStore } from 'tokenward/postgres'
 *
 * const sql = postgres(process.env.DATABASE_URL!)
 * const store = postgresStore({ client: sql, schema: 'auth', timeoutMs: 500 })
 * ```
 */
export function postgresStore(options: PostgresStoreOptions): PostgresTokenStore {
  const settings = storeSettings(options)
  const { schema, timeoutMs, clock } = settings
  const driver = driverOf(options, timeoutMs)
  const sql = statements(schema)
  const now = () => clock() / 1000
  const verdicts = verdictsOf(options.client, driver, settings)
  const runner = storeRunner({ driver, sql, schema, sweepIntervalMs: settings.sweepIntervalMs, now })
  const { run } = runner
  // A capped save ends families: the trigger announces each revocation; this cache drops them at once.
  const ended = (ids: readonly string[]) => {
    for (const id of ids) verdicts.forget('revocation', id)
  }
  let closed = false
  return {
    ...postgresRevocations({ sql, run, verdicts, now }),
    ...postgresSpends({ sql, run, now }),
    ...postgresSessions({ sql, run, now, unexpected, ended }),
    migrate: runner.migrate,
    ready: runner.ready,
    sweep: runner.sweep,
    cacheStats: () => verdicts.stats(),
    async close() {
      if (closed) return
      closed = true
      runner.close()
      verdicts.release()
    },
  }
}

/**
 * The verdict cache of one store: none with `cache: false`, else the one shared by the stores on
 * this client and schema, with `maxEntries` token ids and as many subjects.
 */
function verdictsOf(client: object, driver: Driver, settings: StoreSettings): Verdicts {
  const { cache, schema, timeoutMs } = settings
  if (!cache.on) return NO_VERDICT_CACHE
  const channel = channelOf(schema)
  const warnOnce = warnOnceThrough(settings.onWarning)
  const id = `${channel}:${cache.maxEntries}:${cache.maxAgeMs}:${timeoutMs}`
  return sharedVerdictCache(client, id, () => ({
    source: listenSource(driver, channel, timeoutMs),
    maxEntries: cache.maxEntries,
    bound: 'each',
    maxAgeMs: cache.maxAgeMs,
    now: settings.clock,
    timeoutMs,
    // A failed statement on the pool says nothing about the LISTEN connection, and a write that
    // commits after its call failed is announced like any other: no doubt, no flush.
    failureIsDoubt: false,
    warn: (message) => warnOnce('cache-setup', message),
  }))
}

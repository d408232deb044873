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
 * - The answers of the check are cached in the process and kept exact by LISTEN/NOTIFY (see
 *   ./verdict-cache.ts): a known token costs no statement, and a revocation committed anywhere
 *   reaches every instance in milliseconds.
 *
 * @packageDocumentation
 */
import type { CutoffCheck, SpendVerdict } from '../types.js'
import { driverOf } from './driver.js'
import { finite, storeSettings } from './options.js'
import { channelOf, SCHEMA_VERSION, schemaSql } from './schema.js'
import { postgresSessions } from './sessions.js'
import { statements } from './statements.js'
import type { PostgresStoreOptions, PostgresTokenStore } from './types.js'
import { type CheckRows, NO_CACHE, sharedVerdictCache } from './verdict-cache.js'

export { schemaSql } from './schema.js'
export type {
  PgPoolLike,
  PostgresCacheOptions,
  PostgresCacheStats,
  PostgresJsLike,
  PostgresStoreOptions,
  PostgresTokenStore,
} from './types.js'

/** Rows deleted per table and sweep round; rounds run back to back while a table fills one. */
const SWEEP_BATCH = 500
const SWEEP_ROUNDS = 20
/** PostgreSQL's codes for a missing table, schema or function: the schema is not there (yet). */
const MISSING = new Set(['42P01', '3F000', '42883'])

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
  const {
    schema,
    timeoutMs,
    sweepIntervalMs,
    onWarning,
    clock,
    cache: cacheSettings,
  } = storeSettings(options)
  const driver = driverOf(options, timeoutMs)
  const sql = statements(schema)
  const now = () => clock() / 1000
  const warned = new Set<string>()
  const warnOnce = (kind: string, message: string) => {
    if (warned.has(kind)) return
    warned.add(kind)
    try {
      onWarning(message)
    } catch {
      // A logging hook must never break the store.
    }
  }

  const cache = cacheSettings.on
    ? sharedVerdictCache(options.client, {
        driver,
        channel: channelOf(schema),
        maxEntries: cacheSettings.maxEntries,
        maxAgeMs: cacheSettings.maxAgeMs,
        timeoutMs,
        now: clock,
        warn: (message) => warnOnce('cache', message),
      })
    : NO_CACHE

  /** A missing schema says what to do; anything else passes as it is (the core answers 503). */
  const explain = (err: unknown): Error => {
    const code = typeof err === 'object' && err !== null ? (err as { code?: unknown }).code : undefined
    if (typeof code === 'string' && MISSING.has(code))
      return new Error(
        `tokenward: the PostgreSQL schema "${schema}" is missing or incomplete (${(err as Error).message}) — ` +
          'run `await store.migrate()` once, or apply the SQL of docs/postgres.md',
        { cause: err },
      )
    return err instanceof Error ? err : new Error(String(err))
  }

  // The schema check runs once, before the first statement; concurrent first calls share it.
  // A failure is checked again on the next call.
  let checked = false
  let pending: Promise<void> | undefined
  const checkSchema = async () => {
    const rows = await driver.run(sql.version, []).catch((err: unknown) => {
      throw explain(err)
    })
    const version = rows[0]?.[0]
    if (version === null || version === undefined || Number(version) < SCHEMA_VERSION)
      throw new Error(
        `tokenward: the PostgreSQL schema "${schema}" is at version ${String(version ?? 'none')}, this release ` +
          `needs ${SCHEMA_VERSION} — run \`await store.migrate()\` (or the SQL of docs/postgres.md)`,
      )
  }
  const schemaChecked = (): Promise<void> | undefined => {
    if (checked) return undefined
    pending ??= checkSchema().then(
      () => {
        checked = true
        pending = undefined
      },
      (err: unknown) => {
        pending = undefined
        throw err
      },
    )
    return pending
  }

  let closed = false
  let sweeper: ReturnType<typeof setInterval> | undefined
  const sweepOnce = async (): Promise<number> => {
    let total = 0
    for (let round = 0; round < SWEEP_ROUNDS; round++) {
      const row = (await driver.run(sql.sweep, [now(), SWEEP_BATCH]))[0]
      total += Number(row?.[0] ?? 0)
      if (Number(row?.[1]) !== 1) break
    }
    return total
  }
  // Started by the first statement, never at construction (no timers before first use).
  const startSweeper = () => {
    if (sweeper !== undefined || closed || sweepIntervalMs === 0) return
    sweeper = setInterval(() => {
      if (checked) sweepOnce().catch(() => {}) // A failed round is retried at the next tick.
    }, sweepIntervalMs)
    if (typeof sweeper === 'object' && 'unref' in sweeper) sweeper.unref()
  }

  /**
   * One statement, after the schema check. A failure needs no flush of the verdict cache: what the
   * cache knows is proven by its own connection (heartbeat), and a write that fails here but
   * commits after all is announced there like any other.
   */
  const run = (text: string, values: readonly unknown[]): Promise<unknown[][]> => {
    startSweeper()
    const check = schemaChecked()
    const work = check ? check.then(() => driver.run(text, values)) : driver.run(text, values)
    return work.catch((err: unknown) => {
      throw explain(err)
    })
  }
  const unexpected = (what: string, value: unknown) =>
    new Error(`tokenward: PostgreSQL answered ${what} with an unexpected value (${typeof value})`)

  /** Reads the check's rows into what the cache keeps; throws on a hot standby. */
  const checkRows = (rows: unknown[][]): CheckRows => {
    const revoked = new Map<string, number>()
    let cutoff: CheckRows['cutoff'] = null
    for (const row of rows) {
      const kind = Number(row[0])
      if (kind === 0) revoked.set(String(row[1]), Number(row[3]))
      else if (kind === 1) cutoff = { at: Number(row[2]), expiresAt: Number(row[3]) }
      else if (kind === 2)
        throw new Error(
          'tokenward: the PostgreSQL server is a hot standby: its answers may lag the primary, so the ' +
            'token store refuses them — connect the store to the primary',
        )
      else throw unexpected('the revocation check', row)
    }
    return { revoked, cutoff }
  }

  const fetchRevoked = async (ids: readonly string[], cutoff: CutoffCheck | undefined) => {
    const read = cache.begin(ids, cutoff?.subject)
    let rows: CheckRows
    try {
      rows = checkRows(await run(sql.isRevoked, [ids, cutoff?.subject ?? null, now()]))
    } catch (err) {
      cache.failed(read)
      throw err
    }
    cache.end(read, rows)
    if (rows.revoked.size > 0) return true
    return cutoff !== undefined && rows.cutoff !== null && cutoff.issuedAt <= rows.cutoff.at
  }

  /** An own write of a revocation or a cutoff: the key leaves the cache before and after. */
  const write = async (kind: 'r' | 'c', key: string, text: string, values: readonly unknown[]) => {
    cache.written(kind, key)
    try {
      await run(text, values)
    } finally {
      cache.written(kind, key)
    }
  }

  const sessions = postgresSessions({
    sql,
    run,
    now,
    unexpected,
    ended: (ids) => {
      for (const id of ids) cache.written('r', id)
    },
  })

  return {
    ...sessions,
    async migrate() {
      await driver.script(schemaSql(schema))
      checked = false
    },
    ready: async () => {
      await (schemaChecked() ?? Promise.resolve())
    },
    sweep: () => sweepOnce(),
    cacheStats: () => cache.stats(),
    async close() {
      if (closed) return
      closed = true
      if (sweeper !== undefined) clearInterval(sweeper)
      cache.release()
    },
    async revoke(id, expiresAt) {
      if (finite(expiresAt, 'expiresAt') <= now()) return
      await write('r', id, sql.revoke, [id, expiresAt])
    },
    // ONE statement: the ids' revocations and the subject's cutoff. When the cache knows every
    // id and the subject, no statement at all: the answer is synchronous.
    isRevoked(ids, cutoff?: CutoffCheck) {
      if (ids.length === 0 && cutoff === undefined) return false
      if (cutoff !== undefined) finite(cutoff.issuedAt, 'issuedAt')
      const known = cache.answer(ids, cutoff?.subject, cutoff?.issuedAt)
      if (known !== undefined) return known
      return fetchRevoked(ids, cutoff)
    },
    async consume(id, expiresAt) {
      const t = now()
      // A spent mark lives at least a second, even for an id whose expiry has passed.
      const rows = await run(sql.consume, [id, Math.max(finite(expiresAt, 'expiresAt'), t + 1), t])
      return rows.length > 0
    },
    async setCutoff(subject, at, expiresAt) {
      await write('c', subject, sql.setCutoff, [
        subject,
        finite(at, 'the cutoff'),
        finite(expiresAt, 'expiresAt'),
        now(),
      ])
    },
    async getCutoff(subject) {
      const rows = await run(sql.getCutoff, [subject, now()])
      if (rows.length === 0) return null
      const at = Number(rows[0]![0])
      if (Number.isNaN(at)) throw unexpected('getCutoff', rows[0]![0])
      return at
    },
    async hit(key, windowSeconds, cost = 1) {
      if (!Number.isInteger(cost))
        throw new TypeError(`tokenward: hit cost must be a whole number, got ${cost}`)
      if (!(finite(windowSeconds, 'windowSeconds') > 0))
        throw new TypeError(`tokenward: hit windowSeconds must be above 0, got ${windowSeconds}`)
      const t = now()
      const rows =
        cost > 0
          ? await run(sql.hitAdd, [key, cost, t, windowSeconds])
          : cost === 0
            ? await run(sql.hitRead, [key, t])
            : await run(sql.hitGiveBack, [key, cost, t])
      if (rows.length === 0) return 0
      const count = Number(rows[0]![0])
      if (!Number.isInteger(count)) throw unexpected('hit', rows[0]![0])
      return count
    },
    async spendRefresh(spend): Promise<SpendVerdict> {
      for (const name of ['generation', 'graceRetries'] as const)
        if (!Number.isInteger(spend[name]) || spend[name] < 0)
          throw new TypeError(
            `tokenward: spendRefresh ${name} must be a whole number ≥ 0, got ${spend[name]}`,
          )
      const touch = spend.touch
      const rows = await run(sql.spendRefresh, [
        spend.ids,
        spend.subject,
        spend.family,
        spend.generation,
        finite(spend.now, 'now') / 1000, // the caller's clock: instances and stores agree on the grace window
        finite(spend.issuedAt, 'issuedAt'),
        finite(spend.expiresAt, 'expiresAt'),
        finite(spend.graceSeconds, 'graceSeconds'),
        spend.graceRetries,
        touch === undefined ? null : finite(touch.lastUsedAt, 'lastUsedAt'),
        touch === undefined ? null : finite(touch.expiresAt, 'expiresAt'),
      ])
      const row = rows[0]
      if (row === undefined) throw unexpected('spendRefresh', row)
      if (Number(row[0]) === 1) return 'revoked'
      if (row[1] === null || row[1] === undefined) return 'reused'
      return Number(row[1]) === 0 ? 'rotate' : 'retry'
    },
    async spentGeneration(family, subject) {
      const rows = await run(sql.spentGeneration, [subject, family, now()])
      return rows.length === 0 ? null : Number(rows[0]![0])
    },
  }
}

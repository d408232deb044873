/**
 * How postgresStore runs a statement: after a once-per-store check that the schema is there and
 * current, with a missing schema explained, and with the sweep of expired rows started by the first
 * statement (never at construction: no timers before first use).
 */
import { isRecord, unref } from '../util.js'
import type { Driver } from './driver.js'
import { SCHEMA_VERSION, schemaSql } from './schema.js'
import type { Statements } from './statements.js'

/** Rows deleted per table and sweep round; rounds run back to back while a table fills one. */
const SWEEP_BATCH = 500
const SWEEP_ROUNDS = 20
/** PostgreSQL's codes for a missing table, schema or function: the schema is not there (yet). */
const MISSING = new Set(['42P01', '3F000', '42883'])

/** What the store runs its statements through. */
export interface Runner {
  /**
   * One statement, after the schema check; rows as arrays. A failure needs no flush of the verdict
   * cache: what the cache knows is proven by its own connection (heartbeat), and a write that fails
   * here but commits after all is announced there like any other.
   */
  run(text: string, values: readonly unknown[]): Promise<unknown[][]>
  /** The schema check now (shared with concurrent first calls). */
  ready(): Promise<void>
  migrate(): Promise<void>
  /** Deletes expired rows now, in batches; resolves to how many. */
  sweep(): Promise<number>
  /** Stops the sweep. */
  close(): void
}

/** The error for a value the store does not recognise (fail closed). */
export const unexpected = (what: string, value: unknown) =>
  new Error(`tokenward: PostgreSQL answered ${what} with an unexpected value (${typeof value})`)

/** A missing schema says what to do; anything else passes as it is (the core answers 503). */
function explainer(schema: string) {
  return (err: unknown): Error => {
    const code = isRecord(err) ? err.code : undefined
    if (typeof code === 'string' && MISSING.has(code))
      return new Error(
        `tokenward: the PostgreSQL schema "${schema}" is missing or incomplete (${(err as Error).message}) — ` +
          'run `await store.migrate()` once, or apply the SQL of docs/postgres.md',
        { cause: err },
      )
    return err instanceof Error ? err : new Error(String(err))
  }
}

/**
 * The schema check: runs once, before the first statement; concurrent first calls share it. A
 * failure is checked again on the next call; `again()` after a migration.
 */
function schemaCheck(driver: Driver, version: string, schema: string, explain: (err: unknown) => Error) {
  let checked = false
  let pending: Promise<void> | undefined
  const run = async () => {
    const rows = await driver.run(version, []).catch((err: unknown) => {
      throw explain(err)
    })
    const found = rows[0]?.[0]
    if (found === null || found === undefined || Number(found) < SCHEMA_VERSION)
      throw new Error(
        `tokenward: the PostgreSQL schema "${schema}" is at version ${String(found ?? 'none')}, this release ` +
          `needs ${SCHEMA_VERSION} — run \`await store.migrate()\` (or the SQL of docs/postgres.md)`,
      )
  }
  return {
    done: () => checked,
    again() {
      checked = false
    },
    /** `undefined` once checked, else the check in progress. */
    pending(): Promise<void> | undefined {
      if (checked) return undefined
      pending ??= run().then(
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
    },
  }
}

/** The runner of one store. */
export function storeRunner(deps: {
  driver: Driver
  sql: Statements
  schema: string
  sweepIntervalMs: number
  /** Epoch seconds. */
  now: () => number
}): Runner {
  const { driver, sql, schema, sweepIntervalMs, now } = deps

  const explain = explainer(schema)
  const check = schemaCheck(driver, sql.version, schema, explain)
  const sweep = async (): Promise<number> => {
    let total = 0
    for (let round = 0; round < SWEEP_ROUNDS; round++) {
      const row = (await driver.run(sql.sweep, [now(), SWEEP_BATCH]))[0]
      total += Number(row?.[0] ?? 0)
      if (Number(row?.[1]) !== 1) break
    }
    return total
  }
  let closed = false
  let sweeper: ReturnType<typeof setInterval> | undefined
  const startSweeper = () => {
    if (sweeper !== undefined || closed || sweepIntervalMs === 0) return
    sweeper = setInterval(() => {
      if (check.done()) sweep().catch(() => {}) // A failed round is retried at the next tick.
    }, sweepIntervalMs)
    unref(sweeper)
  }

  return {
    run(text, values) {
      startSweeper()
      const checking = check.pending()
      const work = checking ? checking.then(() => driver.run(text, values)) : driver.run(text, values)
      return work.catch((err: unknown) => {
        throw explain(err)
      })
    },
    ready: async () => {
      await (check.pending() ?? Promise.resolve())
    },
    async migrate() {
      await driver.script(schemaSql(schema))
      check.again()
    },
    sweep,
    close() {
      closed = true
      if (sweeper !== undefined) clearInterval(sweeper)
    },
  }
}

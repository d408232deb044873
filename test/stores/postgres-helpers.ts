// Shared by the postgresStore tests: clients of both kinds on a real PostgreSQL, each closed after
// its test (or file), an admin pool for the scene (counting statements, killing connections), and
// a fresh schema per use so test files running side by side never see each other's rows.
import pg from 'pg'
import postgres from 'postgres'
import { postgresStore } from '../../src/stores/postgres/index.js'
import type { PostgresStoreOptions, PostgresTokenStore } from '../../src/stores/postgres/types.js'
import type { ProxiedConnection } from './tcp-proxy.js'

export type Kind = 'pg' | 'postgres.js'
export const KINDS: Kind[] = ['pg', 'postgres.js']
export type Client = PostgresStoreOptions['client']

/** Closes what was opened, newest first; call it from afterEach or afterAll. */
export class Cleanup {
  private readonly steps: (() => unknown)[] = []
  add(step: () => unknown) {
    this.steps.push(step)
  }
  async run() {
    for (const step of this.steps.splice(0).reverse()) {
      try {
        await step()
      } catch {
        // Already gone (a killed server): nothing left to close.
      }
    }
  }
}

/** A fresh schema name. */
export const schemaName = (label: string) =>
  `tw_${label}_${Math.random().toString(36).slice(2, 10)}`.toLowerCase().replace(/[^a-z0-9_]/g, '_')

/** A client of `kind` on `url` that reconnects as an application's would. */
export function clientOf(
  kind: Kind,
  url: string,
  cleanup: Cleanup,
  options: { max?: number; statementTimeoutMs?: number } = {},
): Client {
  const timeout = options.statementTimeoutMs
  if (kind === 'pg') {
    const pool = new pg.Pool({
      connectionString: url,
      max: options.max ?? 10,
      ...(timeout ? { statement_timeout: timeout } : {}),
    })
    pool.on('error', () => {}) // an idle connection killed by a restart: the pool drops it
    cleanup.add(() => pool.end())
    return pool
  }
  const sql = postgres(url, {
    max: options.max ?? 10,
    onnotice: () => {},
    backoff: () => 0.05,
    ...(timeout ? { connection: { statement_timeout: timeout } } : {}),
  })
  cleanup.add(() => sql.end({ timeout: 1 }))
  return sql
}

/** An admin pool for the scene, not under test. */
export function adminOf(url: string, cleanup: Cleanup): pg.Pool {
  const pool = new pg.Pool({ connectionString: url, max: 4 })
  pool.on('error', () => {})
  cleanup.add(() => pool.end())
  return pool
}

/** A store on `client` and `schema`, closed by `cleanup`. */
export function storeOf(
  client: Client,
  schema: string,
  cleanup: Cleanup,
  options: Partial<PostgresStoreOptions> = {},
): PostgresTokenStore {
  const store = postgresStore({ client, schema, onWarning: () => {}, ...options })
  cleanup.add(() => store.close())
  return store
}

/** Creates `schema` on `url` (through a pool of its own). */
export async function migrated(url: string, schema: string): Promise<void> {
  const pool = new pg.Pool({ connectionString: url, max: 1 })
  try {
    await postgresStore({ client: pool, schema, cache: false }).migrate()
  } finally {
    await pool.end()
  }
}

/** Calls per statement of `schema` since the last reset, from pg_stat_statements (the server's count). */
export async function statementCalls(admin: pg.Pool, schema: string): Promise<Map<string, number>> {
  const { rows } = await admin.query<{ query: string; calls: string }>(
    'SELECT query, calls FROM pg_stat_statements WHERE query LIKE $1',
    [`%${schema}.%`],
  )
  const calls = new Map<string, number>()
  for (const row of rows) calls.set(row.query, (calls.get(row.query) ?? 0) + Number(row.calls))
  return calls
}

/** Total calls since `before`, by statement (only those that ran). */
export function callsSince(before: Map<string, number>, after: Map<string, number>): Map<string, number> {
  const diff = new Map<string, number>()
  for (const [query, calls] of after) {
    const d = calls - (before.get(query) ?? 0)
    if (d > 0) diff.set(query, d)
  }
  return diff
}

/** Polls `condition` between turns of the event loop (I/O runs in between) until it holds. */
export async function until(condition: () => boolean | Promise<boolean>, what: string, timeoutMs = 10_000) {
  const deadline = performance.now() + timeoutMs
  while (!(await condition())) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 1))
  }
}

// ReadyForQuery, idle: 'Z', length 5, 'I' — the last message of every answered statement.
const READY = Buffer.from([0x5a, 0, 0, 0, 5, 0x49])

/** True once `connection`'s held replies end with ReadyForQuery: the statement ran to its end on the server. */
export function heldComplete(connection: ProxiedConnection): boolean {
  const all = connection.held()
  return all.length >= READY.length && all.subarray(all.length - READY.length).equals(READY)
}

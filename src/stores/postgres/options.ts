/**
 * The options of postgresStore, checked at construction like createAuth's (unknown names rejected
 * with the closest valid one, numbers whole and in range, a NaN never accepted), and the check of
 * every time the store is given.
 */
import { checkNames, functionOption, integerOption } from '../../core/options/validate.js'
import { isRecord, notAClient } from '../util.js'
import { type CacheChoice, cacheOption } from '../verdict-cache/index.js'
import type { Driver } from './driver.js'
import { pgPool } from './driver-pg.js'
import { postgresJs } from './driver-postgres-js.js'
import { checkSchemaName } from './schema.js'
import type { PgPoolLike, PostgresJsLike, PostgresStoreOptions } from './types.js'

const OPTION_NAMES = [
  'client',
  'schema',
  'timeoutMs',
  'cache',
  'sweepIntervalMs',
  'onWarning',
  'now',
] as const

/** `postgresStore(options)` resolved: every default applied, every value checked. */
export interface StoreSettings {
  schema: string
  timeoutMs: number
  sweepIntervalMs: number
  onWarning: (message: string) => void
  /** Epoch ms. */
  clock: () => number
  cache: CacheChoice
}

/** The verdict cache's defaults: 50 000 ids and as many subjects, each answer at most 30 s old. */
const CACHE_DEFAULTS = { maxEntries: 50_000, maxAgeMs: 30_000, minAgeMs: 100 }

/** Checks `options` and applies the defaults; throws a `TypeError` naming the option and the fix. */
export function storeSettings(options: PostgresStoreOptions): StoreSettings {
  if (typeof options !== 'object' || options === null)
    throw new TypeError(
      "tokenward: postgresStore needs options: postgresStore({ client }), with new Pool() from 'pg' or postgres() from 'postgres'",
    )
  checkNames(options, OPTION_NAMES, 'postgresStore')
  return {
    schema: checkSchemaName(options.schema ?? 'tokenward'),
    timeoutMs: integerOption(options.timeoutMs, 'timeoutMs', { min: 1, max: 600_000, fallback: 1000 }),
    sweepIntervalMs: integerOption(options.sweepIntervalMs, 'sweepIntervalMs', {
      min: 0,
      max: 86_400_000,
      fallback: 60_000,
    }),
    onWarning: functionOption(options.onWarning, 'onWarning') ?? ((message: string) => console.warn(message)),
    clock: functionOption(options.now, 'now') ?? Date.now,
    cache: cacheOption(options.cache, 'postgresStore', CACHE_DEFAULTS),
  }
}

/**
 * A time or count the store is given must be a finite number: a NaN compares false with every
 * expiry and would silently switch a protection off, so the call rejects instead (fail closed).
 */
export function finite(value: number, what: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value))
    throw new TypeError(`tokenward: postgresStore was given ${String(value)} as ${what}, not a finite number`)
  return value
}

const MAKE_CLIENT = "new Pool({ connectionString }) from 'pg', or postgres(url) from 'postgres' (postgres.js)"

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
    `tokenward: postgresStore \`client\` must be a pg Pool or a postgres.js client, got ${notAClient(
      client,
      'a connection string is not a client',
    )} — ${MAKE_CLIENT}`,
  )
}

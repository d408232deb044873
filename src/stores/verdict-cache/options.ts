/** The `cache` option of redisStore and postgresStore, checked like every other option. */
import { checkNames, integerOption } from '../../core/options/validate.js'

/** `cache` resolved: on or off, whether it was asked for in so many words, and its bounds. */
export interface CacheChoice {
  on: boolean
  /** `true` or an object: a client that cannot have a cache is then worth a warning. */
  explicit: boolean
  maxEntries: number
  maxAgeMs: number
}

/** Defaults and limits of one store's cache. */
export interface CacheDefaults {
  maxEntries: number
  maxAgeMs: number
  /** The least `maxAgeMs` accepted. */
  minAgeMs: number
}

/**
 * Reads `cache`: `undefined` (the default: on), `true`, `false` or `{ maxEntries, maxAgeMs }`;
 * anything else, an unknown name (with the closest valid one) or a bound out of range throws a
 * `TypeError` naming `store` (`redisStore`).
 */
export function cacheOption(value: unknown, store: string, defaults: CacheDefaults): CacheChoice {
  const { maxEntries, maxAgeMs } = defaults
  if (value === undefined || value === true)
    return { on: true, explicit: value === true, maxEntries, maxAgeMs }
  if (value === false) return { on: false, explicit: true, maxEntries, maxAgeMs }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new TypeError(`tokenward: ${store} \`cache\` must be true, false or { maxEntries, maxAgeMs }`)
  checkNames(value, ['maxEntries', 'maxAgeMs'], `${store} \`cache\``)
  const given = value as { maxEntries?: number; maxAgeMs?: number }
  return {
    on: true,
    explicit: true,
    maxEntries: integerOption(given.maxEntries, 'cache.maxEntries', { min: 1, fallback: maxEntries }),
    maxAgeMs: integerOption(given.maxAgeMs, 'cache.maxAgeMs', { min: defaults.minAgeMs, fallback: maxAgeMs }),
  }
}

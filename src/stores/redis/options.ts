/**
 * The options of redisStore, checked at construction like createAuth's: unknown names rejected
 * with the closest valid one, numbers whole and in range, a NaN never accepted.
 */
import { booleanOption, checkNames, functionOption, integerOption } from '../../core/options/validate.js'
import { type CacheChoice, cacheOption } from '../verdict-cache/index.js'
import { clientOf } from './client.js'
import type { RedisStoreOptions } from './types.js'

const OPTION_NAMES = ['client', 'prefix', 'timeoutMs', 'allowEviction', 'onWarning', 'now', 'cache'] as const

/** The verdict cache's defaults: 50 000 keys, each answer at most 60 s old. */
export const CACHE_DEFAULTS = { maxEntries: 50_000, maxAgeMs: 60_000, minAgeMs: 1 }

/** `redisStore(options)` resolved: every default applied, every value checked. */
export interface RedisSettings {
  client: RedisStoreOptions['client']
  prefix: string
  timeoutMs: number
  allowEviction: boolean
  onWarning: (message: string) => void
  /** Epoch ms. */
  now: () => number
  cache: CacheChoice
}

/** Checks `options` and applies the defaults; throws a `TypeError` naming the option and the fix. */
export function redisSettings(options: RedisStoreOptions): RedisSettings {
  // The client first: `redisStore(client)` deserves "pass it as an option", not "unknown option `call`".
  const client = clientOf(options)
  checkNames(options, OPTION_NAMES, 'redisStore')
  const prefix = options.prefix ?? 'tokenward:'
  if (typeof prefix !== 'string')
    throw new TypeError(`tokenward: \`prefix\` must be a string, got ${typeof prefix}`)
  return {
    client,
    prefix,
    timeoutMs: integerOption(options.timeoutMs, 'timeoutMs', { min: 1, max: 600_000, fallback: 500 }),
    allowEviction: booleanOption(options.allowEviction, 'allowEviction', 'redisStore') ?? false,
    onWarning: functionOption(options.onWarning, 'onWarning') ?? ((message: string) => console.warn(message)),
    // Through a closure, so a clock replaced later (a test's fake Date.now) is still the one read.
    now: functionOption(options.now, 'now') ?? (() => Date.now()),
    cache: cacheOption(options.cache, 'redisStore', CACHE_DEFAULTS),
  }
}

/**
 * The verdict cache of tokenward's shared stores (redisStore, postgresStore): one engine
 * (./cache.ts, with its rules), its link to the server's announcements (./link.ts), its bound
 * (./shelf.ts), its option (./options.ts) — and caches shared by the stores of one client.
 * Each store brings an invalidation source (Redis: redis/tracking.ts; PostgreSQL:
 * postgres/listen.ts) and maps its check onto the cache's keys.
 */
import { VerdictCache, type VerdictCacheSettings } from './cache.js'

export {
  NO_VERDICT_CACHE,
  type Read,
  VerdictCache,
  type VerdictCacheSettings,
  type Verdicts,
} from './cache.js'
export { type CacheChoice, cacheOption } from './options.js'
export { Shelf } from './shelf.js'
export type { ChangeEvents, Channel, Found, InvalidationSource, Kind, VerdictCacheStats } from './types.js'

/** Caches by client, then by what else they share (prefix or schema, and bounds). */
const registry = new WeakMap<object, Map<string, VerdictCache>>()

/**
 * The verdict cache for `client` and `id`, shared with the other stores made on them — so a store
 * made per request cannot open a connection per request. The first store's settings make it; the
 * last store's `release()` closes it.
 */
export function sharedVerdictCache(
  client: object,
  id: string,
  settings: () => VerdictCacheSettings,
): VerdictCache {
  let byId = registry.get(client)
  if (!byId) {
    byId = new Map()
    registry.set(client, byId)
  }
  const found = byId.get(id)
  if (found) {
    found.acquire()
    return found
  }
  const caches = byId
  const cache = new VerdictCache(settings(), () => caches.delete(id))
  caches.set(id, cache)
  return cache
}

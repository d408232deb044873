// The two stores every issue-22 test runs on — memoryStore and a real Redis (test/setup starts it;
// each store under a key prefix of its own) — and the clock they share with createAuth. The app
// side (the auth routes on Express, Fastify and Hono, DPoP proofs, Basic credentials) is
// ../invariants/app.ts.
import { createClient } from 'redis'
import { afterAll, beforeAll, inject } from 'vitest'
import { type MemoryStoreOptions, memoryStore, type TokenStore } from '../../../src/index.js'
import { redisStore } from '../../../src/stores/redis/index.js'

const url = inject('redisUrl')
export const STORES = url ? (['memory', 'redis'] as const) : (['memory'] as const)
export type StoreKind = (typeof STORES)[number]

const runId = Math.random().toString(36).slice(2)

/**
 * A clock for createAuth and the store, on whole seconds. It starts at the real time: Redis expires
 * keys by its own clock, so a revocation stamped with a clock in the past would vanish at once.
 */
export function testClock(): { now: () => number; advance: (ms: number) => void } {
  let t = Math.floor(Date.now() / 1000) * 1000
  return {
    now: () => t,
    advance: (ms) => {
      t += ms
    },
  }
}

export interface Stores {
  /** The Redis client, for a look at the keys (quit after the file); `undefined` for memoryStore. */
  readonly client: { keys(pattern: string): Promise<unknown> } | undefined
  /**
   * A new, empty store on `now`: memoryStore with the bounds `memory`, or Redis under a fresh
   * prefix (`prefix`, for a look at its keys).
   */
  make(now: () => number, memory?: MemoryBounds): Made
}

/** memoryStore's bounds for a test (each defaults to memoryStore's own). */
export interface MemoryBounds {
  maxEntries?: number
  maxSessions?: number
  maxProofs?: number
}

export interface Made {
  store: TokenStore & { readonly size?: number }
  prefix: string
}

/** The stores of `kind` for the tests of one file (`file` names their Redis keys). */
export function useStores(kind: StoreKind, file: string): Stores {
  const client = kind === 'redis' ? createClient({ url: url! }) : undefined
  client?.on('error', () => {})
  beforeAll(async () => {
    await client?.connect()
  })
  afterAll(async () => {
    await client?.quit()
  })
  let made = 0
  return {
    client,
    make(now, memory = {}) {
      const prefix = `tw-abuse:${runId}:${file}:${++made}:`
      if (!client) return { store: memoryStore({ ...memory, now } as MemoryStoreOptions), prefix }
      return { store: redisStore({ client, prefix, now, onWarning: () => {} }), prefix }
    },
  }
}

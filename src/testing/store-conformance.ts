import { describe, expect, it } from 'vitest'
import type { TokenStore } from '../stores/types.js'

/** Options of {@link runTokenStoreConformance}. */
export interface ConformanceOptions {
  /** Suite name (default `'TokenStore conformance'`). */
  name?: string
  /**
   * Moves the store's clock forward by `ms`. Give it when your store takes an injected clock;
   * without it the expiry tests wait in real time (about 2.5 s in all), which real servers such as
   * Redis need anyway.
   */
  advanceTime?: (ms: number) => void | Promise<void>
  /** The store's clock in epoch ms, when it is injected (default `Date.now`). */
  now?: () => number
  /** Called after each test with the store it used (close clients, flush keys). */
  cleanup?: (store: TokenStore) => void | Promise<void>
}

let counter = 0
const unique = (label: string) =>
  `${label}-${Date.now().toString(36)}-${(counter++).toString(36)}-${Math.random().toString(36).slice(2)}`

/**
 * The conformance suite that every `TokenStore` must pass — the same one that tests tokenward's
 * memory and Redis stores. Call it inside a vitest test file with a factory that returns a fresh,
 * working store.
 *
 * @example
 * ```ts
 * // test/my-store.test.ts
 * import { runTokenStoreConformance } from 'tokenward/testing'
 * import { myPostgresStore } from '../src/store.js'
 *
 * runTokenStoreConformance(() => myPostgresStore({ pool }))
 * ```
 */
export function runTokenStoreConformance(
  makeStore: () => TokenStore | Promise<TokenStore>,
  options: ConformanceOptions = {},
): void {
  const now = options.now ?? Date.now
  const sec = () => now() / 1000
  const advance = async (ms: number) => {
    if (options.advanceTime) await options.advanceTime(ms)
    else await new Promise((resolve) => setTimeout(resolve, ms))
  }
  const withStore = (fn: (store: TokenStore) => Promise<void>) => async () => {
    const store = await makeStore()
    try {
      await fn(store)
    } finally {
      await options.cleanup?.(store)
    }
  }

  describe(options.name ?? 'TokenStore conformance', () => {
    describe('revoke / isRevoked', () => {
      it(
        'reports a revoked id and only that id',
        withStore(async (store) => {
          const a = unique('a')
          await store.revoke(a, sec() + 600)
          expect(await store.isRevoked([a])).toBe(true)
          expect(await store.isRevoked([unique('b')])).toBe(false)
          expect(await store.isRevoked([])).toBe(false)
        }),
      )
      it(
        'answers true when any one of several ids is revoked',
        withStore(async (store) => {
          const fid = unique('fid')
          await store.revoke(fid, sec() + 600)
          expect(await store.isRevoked([unique('jti'), fid])).toBe(true)
          expect(await store.isRevoked([unique('jti'), unique('fid')])).toBe(false)
        }),
      )
      it(
        'keeps ids of one subject together when a subject is given',
        withStore(async (store) => {
          const id = unique('jti')
          const subject = unique('user')
          await store.revoke(id, sec() + 600, subject)
          expect(await store.isRevoked([id], { subject, issuedAt: sec() })).toBe(true)
        }),
      )
      it(
        'accepts ids and subjects with any characters',
        withStore(async (store) => {
          const id = `${unique('x')}:{tag}*?[]\u00e9\u{1f511} \n`
          const subject = `user:{${unique('s')}}@example.com`
          await store.revoke(id, sec() + 600, subject)
          expect(await store.isRevoked([id], { subject, issuedAt: 0 })).toBe(true)
          expect(await store.isRevoked([`${id}x`], { subject, issuedAt: 0 })).toBe(false)
        }),
      )
      it(
        'forgets a revocation once it expires',
        withStore(async (store) => {
          const a = unique('a')
          await store.revoke(a, sec() + 1)
          expect(await store.isRevoked([a])).toBe(true)
          await advance(2100)
          expect(await store.isRevoked([a])).toBe(false)
        }),
      )
      it(
        'ignores a revocation whose expiry has already passed',
        withStore(async (store) => {
          const a = unique('a')
          await store.revoke(a, sec() - 10)
          expect(await store.isRevoked([a])).toBe(false)
        }),
      )
    })

    describe('consume', () => {
      it(
        'is true once, then false',
        withStore(async (store) => {
          const id = unique('rt')
          expect(await store.consume(id, sec() + 600)).toBe(true)
          expect(await store.consume(id, sec() + 600)).toBe(false)
          expect(await store.consume(id, sec() + 600)).toBe(false)
          expect(await store.consume(unique('rt'), sec() + 600)).toBe(true)
        }),
      )
      it(
        'is atomic: of 50 concurrent calls exactly one is true',
        withStore(async (store) => {
          const id = unique('race')
          const results = await Promise.all(Array.from({ length: 50 }, () => store.consume(id, sec() + 600)))
          expect(results.filter(Boolean)).toHaveLength(1)
        }),
      )
      it(
        'keeps consumption apart from revocation',
        withStore(async (store) => {
          const id = unique('rt')
          expect(await store.consume(id, sec() + 600)).toBe(true)
          expect(await store.isRevoked([id])).toBe(false)
        }),
      )
      it(
        'with a subject, is true once for that subject',
        withStore(async (store) => {
          const id = unique('rt')
          const subject = unique('user')
          expect(await store.consume(id, sec() + 600, subject)).toBe(true)
          expect(await store.consume(id, sec() + 600, subject)).toBe(false)
        }),
      )
    })

    describe('setCutoff / getCutoff', () => {
      it(
        'revokes tokens issued at or before the cutoff, not after, and only for that subject',
        withStore(async (store) => {
          const subject = unique('user')
          const at = Math.floor(sec())
          expect(await store.getCutoff(subject)).toBeNull()
          await store.setCutoff(subject, at, at + 600)
          expect(await store.getCutoff(subject)).toBe(at)
          expect(await store.isRevoked([], { subject, issuedAt: at - 100 })).toBe(true)
          expect(await store.isRevoked([], { subject, issuedAt: at })).toBe(true)
          expect(await store.isRevoked([], { subject, issuedAt: at + 0.5 })).toBe(false)
          expect(await store.isRevoked([], { subject: unique('other'), issuedAt: at - 100 })).toBe(false)
        }),
      )
      it(
        'keeps millisecond precision',
        withStore(async (store) => {
          const subject = unique('user')
          const at = 1_900_000_000.123
          await store.setCutoff(subject, at, sec() + 600)
          expect(await store.getCutoff(subject)).toBeCloseTo(at, 3)
          expect(await store.isRevoked([], { subject, issuedAt: 1_900_000_000.124 })).toBe(false)
          expect(await store.isRevoked([], { subject, issuedAt: 1_900_000_000.122 })).toBe(true)
        }),
      )
      it(
        'never moves a cutoff backwards',
        withStore(async (store) => {
          const subject = unique('user')
          const at = Math.floor(sec())
          await store.setCutoff(subject, at, at + 600)
          await store.setCutoff(subject, at - 50, at + 600)
          expect(await store.getCutoff(subject)).toBe(at)
        }),
      )
      it(
        'checks ids and cutoff together',
        withStore(async (store) => {
          const subject = unique('user')
          const jti = unique('jti')
          const at = Math.floor(sec())
          await store.revoke(jti, at + 600, subject)
          expect(await store.isRevoked([jti], { subject, issuedAt: at + 10 })).toBe(true)
          await store.setCutoff(subject, at, at + 600)
          expect(await store.isRevoked([unique('j')], { subject, issuedAt: at - 1 })).toBe(true)
        }),
      )
      it(
        'forgets a cutoff once it expires',
        withStore(async (store) => {
          const subject = unique('user')
          const at = Math.floor(sec())
          await store.setCutoff(subject, at, sec() + 1)
          await advance(2100)
          expect(await store.getCutoff(subject)).toBeNull()
          expect(await store.isRevoked([], { subject, issuedAt: at - 1 })).toBe(false)
        }),
      )
    })

    describe('hit', () => {
      it(
        'counts hits in a window; cost 0 only reads',
        withStore(async (store) => {
          const key = unique('login')
          expect(await store.hit(key, 60, 0)).toBe(0)
          expect(await store.hit(key, 60)).toBe(1)
          expect(await store.hit(key, 60)).toBe(2)
          expect(await store.hit(key, 60, 0)).toBe(2)
          expect(await store.hit(key, 60, 3)).toBe(5)
          expect(await store.hit(unique('other'), 60)).toBe(1)
        }),
      )
      it(
        'counts concurrent hits exactly',
        withStore(async (store) => {
          const key = unique('login')
          await Promise.all(Array.from({ length: 25 }, () => store.hit(key, 60)))
          expect(await store.hit(key, 60, 0)).toBe(25)
        }),
      )
      it(
        'starts again after the window',
        withStore(async (store) => {
          const key = unique('login')
          await store.hit(key, 1)
          await store.hit(key, 1)
          await advance(2100)
          expect(await store.hit(key, 1)).toBe(1)
        }),
      )
    })
  })
}

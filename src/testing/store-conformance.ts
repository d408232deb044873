import { describe, expect, it } from 'vitest'
import type { TokenStore } from '../stores/types.js'
import { type CheckKit, type ConformanceCheck, checkKit, missingParts, type StorePart } from './kit.js'
import { addPageChecks } from './page-checks.js'
import { addRefreshChecks } from './refresh-checks.js'
import { addSessionCapChecks } from './session-cap-checks.js'
import { addSessionChecks } from './session-checks.js'

export { type ConformanceCheck, keepsSessions } from './kit.js'

/** Options of {@link runTokenStoreConformance}. */
export interface ConformanceOptions {
  /** Suite name (default `'TokenStore conformance'`). */
  name?: string
  /**
   * Moves the store's clock forward by `ms`. Give it when your store takes an injected clock;
   * without it the expiry tests wait in real time (they run side by side, about 2.5 s in all),
   * which real servers such as Redis need anyway.
   */
  advanceTime?: (ms: number) => void | Promise<void>
  /** The store's clock in epoch ms, when it is injected (default `Date.now`). */
  now?: () => number
  /** Called after each test with the store it used (close clients, flush keys). */
  cleanup?: (store: TokenStore) => void | Promise<void>
  /**
   * The optional "sessions" sections (session records: `saveSession`, `touchSession`,
   * `listSessions`, `deleteSession`; with them `maxPerSubject`, pages, and `getSession` and
   * `deleteSessions` where the store has them). Default: run them when the store has the four
   * methods, skip them when it has none. `true`: the store must have them (the sections fail
   * otherwise); `false`: skip the sections.
   */
  sessions?: boolean
  /**
   * The optional "spendRefresh" section (`spendRefresh` and `spentGeneration`). Default: run each
   * check when the store has the method, skip it otherwise. `true`: the store must have both;
   * `false`: skip the section.
   */
  spendRefresh?: boolean
}

/**
 * The checks behind {@link runTokenStoreConformance}, in order, without vitest's `describe`/`it`.
 *
 * @internal
 * @example
 * ```ts
 * for (const check of conformanceChecks()) await check.run(memoryStore())
 * ```
 */
export function conformanceChecks(
  options: Pick<ConformanceOptions, 'advanceTime' | 'now'> = {},
): ConformanceCheck[] {
  const now = options.now ?? Date.now
  const checks: ConformanceCheck[] = []
  const kit = checkKit(checks, {
    now,
    advance: async (ms) => {
      if (options.advanceTime) await options.advanceTime(ms)
      else await new Promise((resolve) => setTimeout(resolve, ms))
    },
  })
  addRevokeChecks(kit)
  addConsumeChecks(kit)
  addCutoffChecks(kit)
  addHitChecks(kit)
  kit.group('sessions')
  addSessionChecks(kit)
  addSessionCapChecks(kit)
  addPageChecks(kit)
  addRefreshChecks(kit)
  return checks
}

/** Revocation by id, family and subject: `revoke` and `isRevoked`. */
function addRevokeChecks({ sec, advance, unique, check, group }: CheckKit) {
  group('revoke / isRevoked')
  check('reports a revoked id and only that id', async (store) => {
    const a = unique('a')
    await store.revoke(a, sec() + 600)
    expect(await store.isRevoked([a])).toBe(true)
    expect(await store.isRevoked([unique('b')])).toBe(false)
    expect(await store.isRevoked([])).toBe(false)
  })
  check('answers true when any one of several ids is revoked', async (store) => {
    const fid = unique('fid')
    await store.revoke(fid, sec() + 600)
    expect(await store.isRevoked([unique('jti'), fid])).toBe(true)
    expect(await store.isRevoked([unique('jti'), unique('fid')])).toBe(false)
  })
  check('keeps ids of one subject together when a subject is given', async (store) => {
    const id = unique('jti')
    const subject = unique('user')
    await store.revoke(id, sec() + 600, subject)
    expect(await store.isRevoked([id], { subject, issuedAt: sec() })).toBe(true)
  })
  check('accepts ids and subjects with any characters', async (store) => {
    const id = `${unique('x')}:{tag}*?[]\u00e9\u{1f511} \n`
    const subject = `user:{${unique('s')}}@example.com`
    await store.revoke(id, sec() + 600, subject)
    expect(await store.isRevoked([id], { subject, issuedAt: 0 })).toBe(true)
    expect(await store.isRevoked([`${id}x`], { subject, issuedAt: 0 })).toBe(false)
  })
  check(
    'forgets a revocation once it expires',
    async (store) => {
      const a = unique('a')
      await store.revoke(a, sec() + 1)
      expect(await store.isRevoked([a])).toBe(true)
      await advance(2100)
      expect(await store.isRevoked([a])).toBe(false)
    },
    true,
  )
  check('ignores a revocation whose expiry has already passed', async (store) => {
    const a = unique('a')
    await store.revoke(a, sec() - 10)
    expect(await store.isRevoked([a])).toBe(false)
  })
}

/** Atomic first use: `consume`. */
function addConsumeChecks({ sec, advance, unique, times, check, group }: CheckKit) {
  group('consume')
  check('is true once, then false', async (store) => {
    const id = unique('rt')
    expect(await store.consume(id, sec() + 600)).toBe(true)
    expect(await store.consume(id, sec() + 600)).toBe(false)
    expect(await store.consume(id, sec() + 600)).toBe(false)
    expect(await store.consume(unique('rt'), sec() + 600)).toBe(true)
  })
  check('is atomic: of 50 concurrent calls exactly one is true', async (store) => {
    const id = unique('race')
    const results = await Promise.all(times(50, () => store.consume(id, sec() + 600)))
    expect(results.filter(Boolean)).toHaveLength(1)
  })
  check('is atomic with a subject too: of 50 concurrent calls exactly one is true', async (store) => {
    const id = unique('race')
    const subject = unique('user')
    const results = await Promise.all(times(50, () => store.consume(id, sec() + 600, subject)))
    expect(results.filter(Boolean)).toHaveLength(1)
  })
  check('keeps consumption apart from revocation', async (store) => {
    const id = unique('rt')
    expect(await store.consume(id, sec() + 600)).toBe(true)
    expect(await store.isRevoked([id])).toBe(false)
  })
  check('with a subject, is true once for that subject', async (store) => {
    const id = unique('rt')
    const subject = unique('user')
    expect(await store.consume(id, sec() + 600, subject)).toBe(true)
    expect(await store.consume(id, sec() + 600, subject)).toBe(false)
  })
  check(
    'forgets a spent mark once it expires',
    async (store) => {
      const id = unique('rt')
      expect(await store.consume(id, sec() + 1)).toBe(true)
      await advance(2100)
      expect(await store.consume(id, sec() + 1)).toBe(true)
    },
    true,
  )
}

/** Subject cutoffs ("log out everywhere"): `setCutoff`, `getCutoff` and the check. */
function addCutoffChecks({ sec, advance, unique, check, group }: CheckKit) {
  group('setCutoff / getCutoff')
  check(
    'revokes tokens issued at or before the cutoff, not after, and only for that subject',
    async (store) => {
      const subject = unique('user')
      const at = Math.floor(sec())
      expect(await store.getCutoff(subject)).toBeNull()
      await store.setCutoff(subject, at, at + 600)
      expect(await store.getCutoff(subject)).toBe(at)
      expect(await store.isRevoked([], { subject, issuedAt: at - 100 })).toBe(true)
      expect(await store.isRevoked([], { subject, issuedAt: at })).toBe(true)
      expect(await store.isRevoked([], { subject, issuedAt: at + 0.5 })).toBe(false)
      expect(await store.isRevoked([], { subject: unique('other'), issuedAt: at - 100 })).toBe(false)
    },
  )
  check('keeps millisecond precision', async (store) => {
    const subject = unique('user')
    const at = 1_900_000_000.123
    await store.setCutoff(subject, at, sec() + 600)
    expect(await store.getCutoff(subject)).toBeCloseTo(at, 3)
    expect(await store.isRevoked([], { subject, issuedAt: 1_900_000_000.124 })).toBe(false)
    expect(await store.isRevoked([], { subject, issuedAt: 1_900_000_000.122 })).toBe(true)
  })
  check('never moves a cutoff backwards', async (store) => {
    const subject = unique('user')
    const at = Math.floor(sec())
    await store.setCutoff(subject, at, at + 600)
    await store.setCutoff(subject, at - 50, at + 600)
    expect(await store.getCutoff(subject)).toBe(at)
  })
  check('checks ids and cutoff together', async (store) => {
    const subject = unique('user')
    const jti = unique('jti')
    const at = Math.floor(sec())
    await store.revoke(jti, at + 600, subject)
    expect(await store.isRevoked([jti], { subject, issuedAt: at + 10 })).toBe(true)
    await store.setCutoff(subject, at, at + 600)
    expect(await store.isRevoked([unique('j')], { subject, issuedAt: at - 1 })).toBe(true)
  })
  check(
    'forgets a cutoff once it expires',
    async (store) => {
      const subject = unique('user')
      const at = Math.floor(sec())
      await store.setCutoff(subject, at, sec() + 1)
      await advance(2100)
      expect(await store.getCutoff(subject)).toBeNull()
      expect(await store.isRevoked([], { subject, issuedAt: at - 1 })).toBe(false)
    },
    true,
  )
}

/** Atomic counting: `hit`. */
function addHitChecks({ advance, unique, times, check, group }: CheckKit) {
  // The login rate limit reserves an attempt with hit(key, window, 1) BEFORE it checks the
  // password, and refuses when the returned count is over the limit. That is only safe when each
  // concurrent caller gets its own count: a store that increments and then reads (or reads, then
  // writes) lets a burst of parallel guesses all see "under the limit".
  group('hit')
  check('counts hits in a window; cost 0 only reads', async (store) => {
    const key = unique('login')
    expect(await store.hit(key, 60, 0)).toBe(0)
    expect(await store.hit(key, 60)).toBe(1)
    expect(await store.hit(key, 60)).toBe(2)
    expect(await store.hit(key, 60, 0)).toBe(2)
    expect(await store.hit(key, 60, 3)).toBe(5)
    expect(await store.hit(unique('other'), 60)).toBe(1)
  })
  check(
    'gives back with a negative cost: lowers an existing count, never below 0, creates nothing',
    async (store) => {
      const key = unique('login')
      await store.hit(key, 60)
      expect(await store.hit(key, 60)).toBe(2)
      expect(await store.hit(key, 60, -1)).toBe(1)
      expect(await store.hit(key, 60, -5)).toBe(0)
      expect(await store.hit(key, 60, 0)).toBe(0)
      expect(await store.hit(key, 60)).toBe(1)
      const other = unique('login')
      expect(await store.hit(other, 60, -1)).toBe(0)
      expect(await store.hit(other, 60)).toBe(1)
    },
  )
  check('reserves atomically: 50 concurrent hits get exactly the counts 1 to 50', async (store) => {
    const key = unique('login')
    const counts = await Promise.all(times(50, () => store.hit(key, 60, 1)))
    expect([...counts].sort((x, y) => x - y)).toEqual(times(50, (i) => i + 1))
    expect(await store.hit(key, 60, 0)).toBe(50)
  })
  check('adds a cost atomically: 20 concurrent hits of cost 3 get 3, 6, … 60', async (store) => {
    const key = unique('login')
    const counts = await Promise.all(times(20, () => store.hit(key, 60, 3)))
    expect([...counts].sort((x, y) => x - y)).toEqual(times(20, (i) => 3 * (i + 1)))
  })
  check(
    'hit reads without creating: a read (cost 0) starts no window',
    async (store) => {
      const key = unique('login')
      expect(await store.hit(key, 2, 0)).toBe(0)
      await advance(1000)
      expect(await store.hit(key, 2)).toBe(1)
      // 2.5 s after the read, 1.5 s after the first hit: inside the window the hit started, past
      // the one a read would have started.
      await advance(1500)
      expect(await store.hit(key, 2, 0)).toBe(1)
    },
    true,
  )
  check(
    'hit forgets the count when the window ends, then starts a new window',
    async (store) => {
      const key = unique('login')
      await store.hit(key, 1)
      expect(await store.hit(key, 1)).toBe(2)
      await advance(2100)
      expect(await store.hit(key, 1, 0)).toBe(0)
      expect(await store.hit(key, 1)).toBe(1)
    },
    true,
  )
}

/**
 * The conformance suite that every `TokenStore` must pass — the same one that tests tokenward's
 * memory and Redis stores. Call it inside a vitest test file with a factory that returns a fresh,
 * working store. It checks expiry, atomic first use (`consume`: of 50 concurrent calls exactly one
 * wins), atomic counting (`hit`: 50 concurrent hits get exactly the counts 1 to 50), reads that
 * create nothing, and revocation by id, family and subject cutoff. A store that keeps session
 * records (`saveSession`, `touchSession`, `listSessions`, `deleteSession`) is held to the optional
 * "sessions" sections too: records kept per subject, expiring, never lost to a concurrent save, never
 * brought back by a touch racing a delete; `maxPerSubject` ending exactly the oldest past the cap,
 * revoked first, under 50 concurrent saves; pages newest first; `getSession` and `deleteSessions`.
 * A store with `spendRefresh` is held to its section: rotate, retry, reused and revoked exactly as
 * specified, one `rotate` of 50 concurrent presentations, a state never shortened, the session
 * touch. Each optional section is skipped on a store without its methods.
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
  /** Whether the options demand `part` (a store without it then fails instead of skipping). */
  const demanded = (part: StorePart) =>
    part === 'sessions'
      ? options.sessions === true
      : (part === 'spendRefresh' || part === 'spentGeneration') && options.spendRefresh === true
  const withStore = (check: ConformanceCheck) => async (context: { skip: (note?: string) => never }) => {
    const store = await makeStore()
    try {
      const missing = missingParts(store, check.requires)
      const required = missing.filter(demanded)
      if (required.length > 0)
        throw new Error(
          `the store lacks ${required.map((part) => (part === 'sessions' ? 'the session methods' : part)).join(', ')} ` +
            '(required by the options of runTokenStoreConformance)',
        )
      if (missing.length > 0) context.skip(`the store has no ${missing.join(', ')} (optional)`)
      await check.run(store)
    } finally {
      await options.cleanup?.(store)
    }
  }
  const skipped = (c: ConformanceCheck) =>
    (c.sessions && options.sessions === false) ||
    (options.spendRefresh === false &&
      c.requires.some((p) => p === 'spendRefresh' || p === 'spentGeneration'))
  const checks = conformanceChecks(options).filter((c) => !skipped(c))
  const groups = [...new Set(checks.map((c) => c.group))]

  describe(options.name ?? 'TokenStore conformance', () => {
    for (const group of groups) {
      describe(group, () => {
        for (const c of checks) {
          if (c.group !== group) continue
          // Real-time waits run side by side: the suite waits ~2.5 s in all rather than per test.
          if (c.waits && !options.advanceTime) it.concurrent(c.name, withStore(c), 15_000)
          else it(c.name, withStore(c))
        }
      })
    }
  })
}

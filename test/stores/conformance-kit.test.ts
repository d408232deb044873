// The conformance kit is a product of its own (tokenward/testing): store authors rely on it to
// catch their bugs. So each of its checks is run here against a store with exactly that bug, and
// must fail — and against the same store without bugs, where every check must pass.
import { describe, expect, it } from 'vitest'
import type { TokenStore } from '../../src/stores/types.js'
import { conformanceChecks } from '../../src/testing/store-conformance.js'

type Flaw =
  | 'consume checks, then writes'
  | 'hit reads, then writes'
  | 'hit increments, then reads'
  | 'hit read creates the counter'
  | 'hit give-back creates a counter'
  | 'counters never expire'
  | 'spent marks never expire'
  | 'revocations never expire'
  | 'cutoff can move backwards'

/** Lets every other pending call run: what a network round trip does between two commands. */
const roundTrip = () => new Promise<void>((resolve) => setImmediate(resolve))

/**
 * A store over plain maps with an injected clock and a round trip before every answer, like a
 * remote store. Each flaw is one classic mistake a real implementation makes.
 */
function sketchStore(now: () => number, flaws: ReadonlySet<Flaw> = new Set()): TokenStore {
  const revoked = new Map<string, number>()
  const spent = new Map<string, number>()
  const cutoffs = new Map<string, { at: number; exp: number }>()
  const counters = new Map<string, { count: number; exp: number }>()
  const alive = (exp: number, never: Flaw) => flaws.has(never) || exp > now()
  return {
    async revoke(id, expiresAt) {
      await roundTrip()
      if (expiresAt * 1000 > now()) revoked.set(id, Math.max(expiresAt * 1000, revoked.get(id) ?? 0))
    },
    async isRevoked(ids, cutoff) {
      await roundTrip()
      for (const id of ids) {
        const exp = revoked.get(id)
        if (exp !== undefined && alive(exp, 'revocations never expire')) return true
      }
      const entry = cutoff && cutoffs.get(cutoff.subject)
      return !!entry && entry.exp > now() && cutoff.issuedAt <= entry.at
    },
    async consume(id, expiresAt) {
      const isSpent = () => {
        const exp = spent.get(id)
        return exp !== undefined && alive(exp, 'spent marks never expire')
      }
      if (flaws.has('consume checks, then writes')) {
        const already = isSpent()
        await roundTrip()
        if (already) return false
        spent.set(id, expiresAt * 1000)
        return true
      }
      await roundTrip()
      if (isSpent()) return false
      spent.set(id, expiresAt * 1000)
      return true
    },
    async setCutoff(subject, at, expiresAt) {
      await roundTrip()
      const prev = cutoffs.get(subject)
      const keep = prev && prev.exp > now() && !flaws.has('cutoff can move backwards')
      cutoffs.set(subject, {
        at: keep ? Math.max(prev.at, at) : at,
        exp: Math.max(expiresAt * 1000, prev?.exp ?? 0),
      })
    },
    async getCutoff(subject) {
      await roundTrip()
      const entry = cutoffs.get(subject)
      return entry && entry.exp > now() ? entry.at : null
    },
    async hit(key, windowSeconds, cost = 1) {
      const current = () => {
        const entry = counters.get(key)
        return entry && alive(entry.exp, 'counters never expire') ? entry : undefined
      }
      const add = () => {
        const entry = current()
        if (entry) entry.count = Math.max(0, entry.count + cost)
        else if (cost > 0 || flaws.has('hit give-back creates a counter'))
          counters.set(key, { count: cost, exp: now() + windowSeconds * 1000 })
        return current()?.count ?? 0
      }
      if (cost === 0) {
        if (flaws.has('hit read creates the counter') && !current())
          counters.set(key, { count: 0, exp: now() + windowSeconds * 1000 })
        await roundTrip()
        return current()?.count ?? 0
      }
      if (flaws.has('hit reads, then writes') && cost > 0) {
        const before = current()?.count ?? 0
        await roundTrip()
        const entry = current()
        if (entry) entry.count = before + cost
        else counters.set(key, { count: before + cost, exp: now() + windowSeconds * 1000 })
        return before + cost
      }
      if (flaws.has('hit increments, then reads') && cost > 0) {
        add()
        await roundTrip()
        return current()?.count ?? 0
      }
      await roundTrip()
      return add()
    },
  }
}

/** Runs every check on a fresh store each; returns the names of those that failed. */
async function failingChecks(flaws: Flaw[]): Promise<string[]> {
  let t = Date.UTC(2026, 0, 1)
  const now = () => t
  const checks = conformanceChecks({
    now,
    advanceTime: (ms) => {
      t += ms
    },
  })
  const failed: string[] = []
  for (const check of checks) {
    try {
      await check.run(sketchStore(now, new Set(flaws)))
    } catch {
      failed.push(check.name)
    }
  }
  return failed
}

describe('runTokenStoreConformance (the kit itself)', () => {
  it('passes a correct store', async () => {
    expect(await failingChecks([])).toEqual([])
  })

  const cases: [Flaw, string[]][] = [
    [
      'consume checks, then writes',
      [
        'is atomic: of 50 concurrent calls exactly one is true',
        'is atomic with a subject too: of 50 concurrent calls exactly one is true',
      ],
    ],
    [
      'hit reads, then writes',
      [
        'reserves atomically: 50 concurrent hits get exactly the counts 1 to 50',
        'adds a cost atomically: 20 concurrent hits of cost 3 get 3, 6, … 60',
      ],
    ],
    [
      'hit increments, then reads',
      [
        'reserves atomically: 50 concurrent hits get exactly the counts 1 to 50',
        'adds a cost atomically: 20 concurrent hits of cost 3 get 3, 6, … 60',
      ],
    ],
    ['hit read creates the counter', ['hit reads without creating: a read (cost 0) starts no window']],
    [
      'hit give-back creates a counter',
      ['gives back with a negative cost: lowers an existing count, never below 0, creates nothing'],
    ],
    ['counters never expire', ['hit forgets the count when the window ends, then starts a new window']],
    ['spent marks never expire', ['forgets a spent mark once it expires']],
    ['revocations never expire', ['forgets a revocation once it expires']],
    ['cutoff can move backwards', ['never moves a cutoff backwards']],
  ]
  for (const [flaw, expected] of cases) {
    it(`catches a store whose ${flaw}`, async () => {
      expect(await failingChecks([flaw])).toEqual(expected)
    })
  }

  it('puts every check that waits for expiry in one group, so real-time waits overlap', () => {
    const checks = conformanceChecks()
    expect(checks.filter((c) => c.waits).every((c) => c.group === 'expiry')).toBe(true)
    expect(checks.filter((c) => c.group === 'expiry').every((c) => c.waits)).toBe(true)
    expect(new Set(checks.map((c) => c.name)).size).toBe(checks.length)
  })
})

// memoryStore: the conformance suite on an injected clock, and what a full store does. It never
// forgets a live revocation, subject cutoff or spent mark, nor resets a rate-limit counter, to make
// room: the write rejects and the core answers 503 (docs/custom-store.md, "memoryStore when full").
import { afterEach, describe, expect, it, vi } from 'vitest'
import { createAuth, memoryStore } from '../../src/index.js'
import { runTokenStoreConformance } from '../../src/testing/index.js'

let now = Date.UTC(2026, 0, 1)
const sec = () => now / 1000
const clock = { now: () => now }

runTokenStoreConformance(() => memoryStore(clock), {
  name: 'memoryStore conformance',
  now: () => now,
  advanceTime: (ms) => {
    now += ms
  },
})

describe('memoryStore when full', () => {
  // 10 entries: 2 for rate-limit counters, 8 for revocations, spent marks and cutoffs.
  const small = () => memoryStore({ maxEntries: 10, maxCounters: 2, ...clock })

  it('refuses a new revocation rather than forget one it holds', async () => {
    const store = small()
    for (let i = 0; i < 8; i++) await store.revoke(`jti-${i}`, sec() + 600)
    await expect(store.revoke('jti-8', sec() + 600)).rejects.toThrow(/memoryStore is full/)
    expect(store.size).toBe(8)
    for (let i = 0; i < 8; i++) expect(store.isRevoked([`jti-${i}`])).toBe(true)
    expect(store.isRevoked(['jti-8'])).toBe(false)
    await store.close?.()
  })

  it('never drops a spent refresh-token mark (reuse detection stays on): consume rejects instead', async () => {
    const store = small()
    for (let i = 0; i < 8; i++) expect(await store.consume(`rt-${i}`, sec() + 600)).toBe(true)
    // Neither true (a second use) nor false (as if spent): a rejection, so refresh fails with 503.
    await expect(store.consume('rt-new', sec() + 600)).rejects.toThrow(/memoryStore is full/)
    await expect(store.revoke('jti', sec() + 600)).rejects.toThrow(/memoryStore is full/)
    // Every spent mark is still there: a replayed refresh token is still caught.
    for (let i = 0; i < 8; i++) expect(await store.consume(`rt-${i}`, sec() + 600)).toBe(false)
    await store.close?.()
  })

  it('never drops a subject cutoff', async () => {
    const store = small()
    await store.setCutoff('user-1', sec(), sec() + 600)
    for (let i = 0; i < 7; i++) await store.consume(`rt-${i}`, sec() + 60)
    await expect(store.setCutoff('user-2', sec(), sec() + 600)).rejects.toThrow(/memoryStore is full/)
    expect(store.isRevoked([], { subject: 'user-1', issuedAt: sec() - 1 })).toBe(true)
    expect(await store.getCutoff('user-2')).toBeNull()
    await store.close?.()
  })

  it('still updates what it holds: a later expiry, a later cutoff, another hit on a counter', async () => {
    const store = small()
    await store.setCutoff('user-1', sec(), sec() + 600)
    for (let i = 0; i < 7; i++) await store.revoke(`jti-${i}`, sec() + 600)
    await store.hit('login:a', 60)
    await store.hit('login:b', 60)
    await store.revoke('jti-0', sec() + 6000)
    const cutoff = sec() + 10
    await store.setCutoff('user-1', cutoff, sec() + 6000)
    expect(await store.getCutoff('user-1')).toBe(cutoff)
    expect(await store.hit('login:a', 60)).toBe(2)
    expect(await store.consume('rt-x', sec() + 600).catch(() => 'refused')).toBe('refused')
    now += 700_000 // past every first expiry, not the extended ones
    expect(store.isRevoked(['jti-0'])).toBe(true)
    expect(store.isRevoked(['jti-1'])).toBe(false)
    expect(store.isRevoked([], { subject: 'user-1', issuedAt: cutoff - 1 })).toBe(true)
    await store.close?.()
  })

  it('sweeps expired entries before refusing', async () => {
    const store = memoryStore({ maxEntries: 4, maxCounters: 1, ...clock })
    await store.revoke('old-1', sec() + 10)
    await store.revoke('old-2', sec() + 10)
    await store.revoke('keep', sec() + 600)
    await expect(store.revoke('new', sec() + 600)).rejects.toThrow(/memoryStore is full/)
    now += 20_000
    await store.revoke('new', sec() + 600)
    expect(store.size).toBe(2)
    expect(store.isRevoked(['keep'])).toBe(true)
    expect(store.isRevoked(['new'])).toBe(true)
    await store.close?.()
  })

  it('takes a new entry again as soon as the soonest one expires, and not before', async () => {
    const store = memoryStore({ maxEntries: 4, maxCounters: 1, ...clock })
    await store.revoke('a', sec() + 30)
    await store.revoke('b', sec() + 10)
    await store.revoke('c', sec() + 20)
    await expect(store.revoke('d', sec() + 600)).rejects.toThrow(/full/)
    now += 9_000
    await expect(store.revoke('d', sec() + 600)).rejects.toThrow(/full/)
    now += 1_000 // 'b' has expired
    await store.revoke('d', sec() + 5)
    await expect(store.revoke('e', sec() + 600)).rejects.toThrow(/full/)
    now += 5_000 // 'd' (added after the last sweep) has expired
    await store.revoke('e', sec() + 600)
    expect(store.isRevoked(['a', 'c', 'e'])).toBe(true)
    await store.close?.()
  })
})

describe('memoryStore rate-limit counters', () => {
  it('have their own bound: a flood of counters cannot push out or block a revocation', async () => {
    const store = memoryStore({ maxEntries: 10, maxCounters: 2, now: () => now })
    await store.revoke('jti-0', sec() + 600)
    expect(await store.hit('login:user:alice', 60)).toBe(1)
    expect(await store.hit('login:addr:203.0.113.7', 60)).toBe(1)
    // An attacker sprays usernames: the third counter is refused, nothing is evicted for it.
    await expect(store.hit('login:user:sprayed-1', 60)).rejects.toThrow(
      /no room for another rate-limit counter/,
    )
    expect(store.isRevoked(['jti-0'])).toBe(true)
    // The security entries keep all of their share.
    for (let i = 1; i < 8; i++) await store.revoke(`jti-${i}`, sec() + 600)
    expect(store.size).toBe(10)
    await store.close?.()
  })

  it('are never reset to make room: a brute-force limit survives a flood of other keys', async () => {
    const store = memoryStore({ maxEntries: 10, maxCounters: 2, now: () => now })
    for (let i = 0; i < 5; i++) await store.hit('login:user:alice', 900)
    await store.hit('login:addr:198.51.100.1', 900)
    for (let i = 0; i < 20; i++) await store.hit(`login:user:other-${i}`, 900).catch(() => {})
    expect(await store.hit('login:user:alice', 900, 0)).toBe(5)
    expect(await store.hit('login:user:alice', 900)).toBe(6)
    await store.close?.()
  })

  it('leave room for new counters once their window ends', async () => {
    const store = memoryStore({ maxEntries: 10, maxCounters: 2, now: () => now })
    await store.hit('a', 60)
    await store.hit('b', 60)
    await expect(store.hit('c', 60)).rejects.toThrow(/rate-limit counter/)
    now += 61_000
    expect(await store.hit('c', 60)).toBe(1)
    await store.close?.()
  })

  it('are not created by a read (cost 0), which needs no room', async () => {
    const store = memoryStore({ maxEntries: 10, maxCounters: 2, now: () => now })
    expect(await store.hit('x', 60, 0)).toBe(0)
    expect(store.size).toBe(0)
    await store.hit('a', 60)
    await store.hit('b', 60)
    expect(await store.hit('y', 60, 0)).toBe(0)
    await store.close?.()
  })

  it('get a fifth of maxEntries by default', async () => {
    const store = memoryStore({ maxEntries: 10, now: () => now })
    await store.hit('a', 60)
    await store.hit('b', 60)
    await expect(store.hit('c', 60)).rejects.toThrow(/maxCounters = 2/)
    for (let i = 0; i < 8; i++) await store.revoke(`jti-${i}`, sec() + 600)
    await expect(store.revoke('jti-8', sec() + 600)).rejects.toThrow(/maxEntries − maxCounters = 8/)
    await store.close?.()
  })
})

describe('memoryStore through createAuth', () => {
  it('fails closed when full: revoke, refresh and one-time tokens answer 503, revoked tokens stay revoked', async () => {
    const store = memoryStore({ maxEntries: 20, maxCounters: 4, now: () => Date.now() })
    const auth = createAuth({ secret: 'memory-store-secret-at-least-32-bytes!', store })
    const revoked = await auth.issueTokens({ sub: 'u1' })
    await auth.revoke(revoked.accessToken)
    const used = await auth.issueTokens({ sub: 'u1' })
    await auth.refresh(used.refreshToken)
    const loggedOut = await auth.issueTokens({ sub: 'u3' })
    await auth.revokeSubject('u3')
    const live = await auth.issueTokens({ sub: 'u2' })
    const ott = await auth.issueOneTimeToken('password_reset', 'u2')
    // Fill the rest of the room for revocations, spent marks and cutoffs.
    let full = false
    for (let i = 0; i < 20 && !full; i++)
      full = await store.revoke(`filler-${i}`, Date.now() / 1000 + 600).then(
        () => false,
        () => true,
      )
    expect(full).toBe(true)
    for (const attempt of [
      () => auth.revoke(live.accessToken),
      () => auth.refresh(live.refreshToken),
      () => auth.revokeSubject('u4'),
      () => auth.consumeOneTimeToken(ott, 'password_reset'),
    ])
      await expect(attempt()).rejects.toMatchObject({ code: 'store_unavailable', status: 503 })
    // Nothing was forgotten to make room.
    await expect(auth.verifyAccessToken(revoked.accessToken)).rejects.toMatchObject({ code: 'token_revoked' })
    await expect(auth.verifyAccessToken(loggedOut.accessToken)).rejects.toMatchObject({
      code: 'token_revoked',
    })
    await auth.verifyAccessToken(live.accessToken)
    await store.close?.()
  })
})

describe('memoryStore options', () => {
  it('rejects a maxEntries or maxCounters that would leave either kind no room', () => {
    expect(() => memoryStore({ maxEntries: 0 })).toThrow(TypeError)
    expect(() => memoryStore({ maxEntries: 1 })).toThrow(TypeError)
    expect(() => memoryStore({ maxEntries: 1.5 })).toThrow(TypeError)
    expect(() => memoryStore({ maxEntries: 10, maxCounters: 0 })).toThrow(TypeError)
    expect(() => memoryStore({ maxEntries: 10, maxCounters: 10 })).toThrow(TypeError)
    expect(() => memoryStore({ maxEntries: 10, maxCounters: Number.NaN })).toThrow(TypeError)
    expect(() => memoryStore({ maxEntries: 2, maxCounters: 1 })).not.toThrow()
  })
})

describe('memoryStore at construction (a Workers top level forbids timers)', () => {
  afterEach(() => {
    vi.useRealTimers()
  })

  it('starts no timer when made, nor when createAuth makes one; the sweep starts on first use and stops on close', async () => {
    vi.useFakeTimers()
    const store = memoryStore(clock)
    createAuth({ secret: 'memory-store-test-secret-at-least-32-bytes!' })
    expect(vi.getTimerCount()).toBe(0)
    store.isRevoked(['jti-1'])
    expect(vi.getTimerCount()).toBe(1)
    await store.revoke('jti-1', sec() + 600)
    expect(vi.getTimerCount()).toBe(1) // one sweep timer, whatever the use
    await store.close?.()
    expect(vi.getTimerCount()).toBe(0)
    await store.revoke('jti-2', sec() + 600) // still usable after close, without a timer
    expect(vi.getTimerCount()).toBe(0)
  })
})

// The same argument checks in every built-in store (stores/checks.ts): memoryStore had none, so a
// NaN window made a counter that never expired and a page limit of 0 an empty page.
describe('memoryStore refuses what the other stores refuse', () => {
  it('a hit whose cost is not a whole number or whose window is not above 0; a page limit outside 1…1000', async () => {
    const store = memoryStore()
    await expect(store.hit('k', Number.NaN, 1)).rejects.toThrow(/hit windowSeconds must be above 0/)
    await expect(store.hit('k', 0, 1)).rejects.toThrow(/hit windowSeconds must be above 0/)
    await expect(store.hit('k', 60, 0.5)).rejects.toThrow(/hit cost must be a whole number/)
    await expect(store.listSessions!('u', { limit: 0 })).rejects.toThrow(/page limit must be a whole number/)
    expect(await store.hit('k', 60, 1)).toBe(1)
    store.close?.()
  })
})

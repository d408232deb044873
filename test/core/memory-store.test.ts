import { describe, expect, it } from 'vitest'
import { memoryStore } from '../../src/index.js'
import { runTokenStoreConformance } from '../../src/testing/index.js'

let now = Date.UTC(2026, 0, 1)
runTokenStoreConformance(() => memoryStore({ now: () => now }), {
  name: 'memoryStore conformance',
  now: () => now,
  advanceTime: (ms) => {
    now += ms
  },
})

describe('memoryStore bounds', () => {
  const sec = () => now / 1000

  it('never holds more than maxEntries, and forgets rate-limit counters before revocations', async () => {
    const store = memoryStore({ maxEntries: 10, now: () => now })
    for (let i = 0; i < 5; i++) await store.hit(`ip-${i}`, 60)
    for (let i = 0; i < 5; i++) await store.revoke(`jti-${i}`, sec() + 600)
    expect(store.size).toBe(10)
    for (let i = 5; i < 9; i++) await store.revoke(`jti-${i}`, sec() + 600)
    expect(store.size).toBeLessThanOrEqual(10)
    for (let i = 0; i < 9; i++) expect(await store.isRevoked([`jti-${i}`])).toBe(true)
    expect(await store.hit('ip-0', 60, 0)).toBe(0) // the counter went first
    await store.close?.()
  })

  it('drops spent marks before revocations and subject cutoffs, soonest expiry first', async () => {
    const store = memoryStore({ maxEntries: 4, now: () => now })
    await store.revoke('jti-a', sec() + 600)
    await store.setCutoff('user-1', sec(), sec() + 600)
    await store.consume('spent-short', sec() + 60)
    await store.consume('spent-long', sec() + 6000)
    await store.revoke('jti-b', sec() + 600) // full: the spent mark closest to expiry goes
    expect(store.size).toBe(4)
    expect(await store.consume('spent-short', sec() + 60)).toBe(true)
    expect(await store.isRevoked(['jti-a'])).toBe(true)
    expect(await store.isRevoked(['jti-b'])).toBe(true)
    expect(await store.isRevoked([], { subject: 'user-1', issuedAt: sec() - 1 })).toBe(true)
    await store.close?.()
  })

  it('sweeps expired entries before evicting live ones', async () => {
    const store = memoryStore({ maxEntries: 3, now: () => now })
    await store.revoke('old-1', sec() + 10)
    await store.revoke('old-2', sec() + 10)
    await store.revoke('keep', sec() + 600)
    now += 20_000
    await store.revoke('new', sec() + 600)
    expect(store.size).toBe(2)
    expect(await store.isRevoked(['keep'])).toBe(true)
    expect(await store.isRevoked(['new'])).toBe(true)
    await store.close?.()
  })

  it('rejects a maxEntries that is not a positive integer', () => {
    expect(() => memoryStore({ maxEntries: 0 })).toThrow(TypeError)
    expect(() => memoryStore({ maxEntries: 1.5 })).toThrow(TypeError)
  })
})

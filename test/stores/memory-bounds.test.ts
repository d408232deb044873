// memoryStore: no kind of entry takes the room of another (issue 22). DPoP proof ids have a bound
// of their own (maxProofs), so an anonymous flood of proofs never blocks a revocation or a spent
// mark; a refresh family's spend state is one entry per session, however often it rotates; a save
// past maxPerSubject revokes the ended families in the security group — and when that group has no
// room, the save fails and nothing changes.
import { describe, expect, it } from 'vitest'
import { memoryStore } from '../../src/index.js'
import type { RefreshSpend, SessionRecord } from '../../src/stores/types.js'

let now = Date.UTC(2026, 0, 1)
const sec = () => now / 1000
const clock = { now: () => now }

const spendOf = (family: string, generation: number): RefreshSpend => ({
  family,
  generation,
  subject: 'u1',
  ids: [`jti-${generation}`, family],
  issuedAt: sec() - 1,
  expiresAt: sec() + 600,
  now,
  graceSeconds: 10,
  graceRetries: 2,
})
const recordOf = (id: string, createdAt: number, subject = 'u1'): SessionRecord => ({
  id,
  subject,
  createdAt,
  lastUsedAt: createdAt,
  expiresAt: sec() + 600,
  userAgent: null,
  address: null,
})

describe('memoryStore bounds per kind of entry', () => {
  it('keeps DPoP proof ids in a bound of their own: a flood of proofs refuses proofs, never a revocation or a spend', async () => {
    const store = memoryStore({ maxEntries: 10, maxCounters: 2, maxProofs: 3, ...clock })
    // Three keys, one proof each: no key holds more than its share, so the flood is refused.
    for (let i = 0; i < 3; i++) expect(await store.consume(`dpop:jkt${i}:0`, sec() + 120)).toBe(true)
    await expect(store.consume('dpop:jkt3:flood', sec() + 120)).rejects.toThrow(
      /DPoP proof id.*maxProofs = 3/,
    )
    expect(await store.consume('dpop:jkt0:0', sec() + 120)).toBe(false) // a replay is still refused
    // The security group keeps all of its eight places.
    for (let i = 0; i < 7; i++) await store.revoke(`jti-${i}`, sec() + 600)
    expect(await store.consume('rt-1', sec() + 600)).toBe(true)
    await expect(store.revoke('jti-9', sec() + 600)).rejects.toThrow(/memoryStore is full/)
    expect(store.size).toBe(8) // proofs are outside maxEntries, like session records
    now += 121_000
    expect(await store.consume('dpop:jkt0:new', sec() + 120)).toBe(true)
    await store.close?.()
  })

  it('gives proofs a fifth of maxEntries by default, and checks maxProofs', async () => {
    const store = memoryStore({ maxEntries: 10, ...clock })
    await store.consume('dpop:a', sec() + 60)
    await store.consume('dpop:b', sec() + 60)
    await expect(store.consume('dpop:c', sec() + 60)).rejects.toThrow(/maxProofs = 2/)
    for (const maxProofs of [0, -1, 1.5, Number.NaN])
      expect(() => memoryStore({ maxProofs })).toThrow(TypeError)
    await store.close?.()
  })

  it('holds one spend state per refresh family, however often it rotates', async () => {
    const store = memoryStore({ maxEntries: 10, maxCounters: 2, ...clock })
    for (let g = 0; g < 1000; g++) expect(await store.spendRefresh!(spendOf('fid-1', g))).toBe('rotate')
    expect(store.size).toBe(1)
    for (let i = 2; i <= 8; i++) await store.spendRefresh!(spendOf(`fid-${i}`, 0))
    // The families take security room, and a full group refuses a new family — never forgets one.
    await expect(store.spendRefresh!(spendOf('fid-9', 0))).rejects.toThrow(/memoryStore is full/)
    expect(await store.spendRefresh!(spendOf('fid-1', 998))).toBe('reused')
    expect(await store.spendRefresh!(spendOf('fid-1', 1000))).toBe('rotate')
    await store.close?.()
  })
})

describe('memoryStore maxPerSubject', () => {
  it('ends the oldest session by revoking its family first; a revocation it has no room for fails the save, changing nothing', async () => {
    const store = memoryStore({ maxEntries: 4, maxCounters: 1, maxSessions: 10, ...clock }) // 3 security places
    expect(await store.saveSession!(recordOf('a', sec() - 30), { maxPerSubject: 2 })).toEqual([])
    expect(await store.saveSession!(recordOf('b', sec() - 20), { maxPerSubject: 2 })).toEqual([])
    expect(await store.saveSession!(recordOf('c', sec() - 10), { maxPerSubject: 2 })).toEqual(['a'])
    expect(store.isRevoked(['a'], { subject: 'u1', issuedAt: 0 })).toBe(true)
    await store.revoke('x', sec() + 600)
    await store.revoke('y', sec() + 600) // the security group is full now
    await expect(store.saveSession!(recordOf('d', sec()), { maxPerSubject: 2 })).rejects.toThrow(
      /memoryStore is full/,
    )
    expect((await store.listSessions!('u1')).map((r) => r.id).sort()).toEqual(['b', 'c'])
    expect(store.isRevoked(['b'], { subject: 'u1', issuedAt: 0 })).toBe(false)
    // A save that ends nothing needs no security room.
    expect(await store.saveSession!(recordOf('e', sec()), { maxPerSubject: 3 })).toEqual([])
    // One account at its cap takes no more of maxSessions: another user still logs in.
    expect(await store.saveSession!(recordOf('z', sec(), 'u2'), { maxPerSubject: 2 })).toEqual([])
    await store.close?.()
  })

  it('keeps one account within its cap, so it cannot fill maxSessions for everyone (review M4)', async () => {
    const store = memoryStore({ maxSessions: 20, ...clock })
    for (let i = 0; i < 200; i++)
      await store.saveSession!(recordOf(`s-${i}`, sec() + i / 1000), { maxPerSubject: 5 })
    expect(await store.listSessions!('u1')).toHaveLength(5)
    expect(await store.saveSession!(recordOf('bob', sec(), 'bob'), { maxPerSubject: 5 })).toEqual([])
    await store.deleteSessions!('u1')
    expect(await store.getSession!('u1', 's-199')).toBeNull()
    expect(await store.getSession!('bob', 'bob')).toMatchObject({ id: 'bob', subject: 'bob' })
    await store.close?.()
  })
})

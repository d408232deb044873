/**
 * The optional "sessions" section of the TokenStore conformance kit (store-conformance.ts): session
 * records back the "signed-in devices" list and "sign out other devices".
 *
 * @internal
 */
import { expect } from 'vitest'
import { SESSION_STORE_METHODS } from '../stores/types.js'
import type { CheckKit } from './kit.js'
import { byId, like, recordMaker } from './records.js'

/** Registers the session checks, in order. */
export function addSessionChecks(kit: CheckKit): void {
  addShapeChecks(kit)
  addBasicChecks(kit)
  addConcurrencyAndExpiryChecks(kit)
}

/** Which optional methods go together: checked on every store. */
function addShapeChecks({ check }: CheckKit): void {
  check('implements all four session methods or none', async (store) => {
    const present = SESSION_STORE_METHODS.filter((name) => typeof store[name] === 'function')
    expect([0, SESSION_STORE_METHODS.length]).toContain(present.length)
  })
  // The core falls back to a listing without getSession / deleteSessions, and to isRevoked, hit
  // and consume without spendRefresh — but an extra without what it extends is a store half-built.
  check(
    'has getSession and deleteSessions only with the four session methods, spentGeneration only with spendRefresh',
    async (store) => {
      const sessions = SESSION_STORE_METHODS.every((name) => typeof store[name] === 'function')
      for (const name of ['getSession', 'deleteSessions'] as const)
        if (typeof store[name] === 'function') expect(sessions, name).toBe(true)
      if (typeof store.spentGeneration === 'function') expect(typeof store.spendRefresh).toBe('function')
    },
  )
}

// Session records back the "signed-in devices" list and "sign out other devices": a record a
// store loses (a lost concurrent save, a record forgotten early) is a device that survives
// "sign out other devices"; a record one user can see or touch under another's subject leaks a
// session; a touch that brings back a deleted record shows a signed-out device again.
function addBasicChecks(kit: CheckKit): void {
  const { sec, unique, sessionCheck } = kit
  const record = recordMaker(kit)
  sessionCheck('saves and lists records with every field as given', async (store) => {
    const subject = unique('user')
    const a = record(subject)
    const b = record(subject, { userAgent: null, address: null, createdAt: a.createdAt + 1.5 })
    b.lastUsedAt = b.createdAt
    await store.saveSession(a)
    await store.saveSession(b)
    const listed = (await store.listSessions(subject)).sort(byId)
    expect(listed).toEqual([a, b].sort(byId).map(like))
    expect(await store.listSessions(unique('nobody'))).toEqual([])
  })
  sessionCheck(
    'keeps records per subject: no call with one subject sees or changes another',
    async (store) => {
      const owner = unique('user')
      const other = unique('user')
      const mine = record(owner)
      await store.saveSession(mine)
      expect(await store.listSessions(other)).toEqual([])
      expect(await store.touchSession(other, mine.id, mine.lastUsedAt + 60, mine.expiresAt + 60)).toBe(false)
      expect(await store.deleteSession(other, mine.id)).toBe(false)
      expect(await store.listSessions(other)).toEqual([])
      expect(await store.listSessions(owner)).toEqual([like(mine)])
    },
  )
  sessionCheck(
    'touchSession raises lastUsedAt and expiresAt, never lowers them, and creates nothing',
    async (store) => {
      const subject = unique('user')
      const r = record(subject)
      expect(await store.touchSession(subject, r.id, r.lastUsedAt, r.expiresAt)).toBe(false)
      expect(await store.listSessions(subject)).toEqual([])
      await store.saveSession(r)
      expect(await store.touchSession(subject, r.id, r.lastUsedAt + 30.5, r.expiresAt + 30)).toBe(true)
      const later = { ...r, lastUsedAt: r.lastUsedAt + 30.5, expiresAt: r.expiresAt + 30 }
      expect(await store.listSessions(subject)).toEqual([like(later)])
      expect(await store.touchSession(subject, r.id, r.lastUsedAt + 1, r.expiresAt - 60)).toBe(true)
      expect(await store.listSessions(subject)).toEqual([like(later)])
    },
  )
  sessionCheck('deleteSession removes a record: true once, then false', async (store) => {
    const subject = unique('user')
    const [a, b] = [record(subject), record(subject)]
    await store.saveSession(a)
    await store.saveSession(b)
    expect(await store.deleteSession(subject, a.id)).toBe(true)
    expect(await store.deleteSession(subject, a.id)).toBe(false)
    expect(await store.deleteSession(subject, unique('fid'))).toBe(false)
    expect(await store.listSessions(subject)).toEqual([like(b)])
    expect(await store.touchSession(subject, a.id, a.lastUsedAt + 1, a.expiresAt + 1)).toBe(false)
  })
  sessionCheck('replaces a record saved again with the same id', async (store) => {
    const subject = unique('user')
    const r = record(subject)
    await store.saveSession(r)
    const again = { ...r, userAgent: 'curl/8.0' }
    await store.saveSession(again)
    expect(await store.listSessions(subject)).toEqual([like(again)])
  })
  sessionCheck('keeps nothing for a record whose expiry has passed', async (store) => {
    const subject = unique('user')
    await store.saveSession(record(subject, { expiresAt: Math.floor(sec()) - 10 }))
    expect(await store.listSessions(subject)).toEqual([])
  })
}

/** Any characters, concurrent saves, a touch racing a delete, and expiry. */
function addConcurrencyAndExpiryChecks(kit: CheckKit): void {
  const { sec, advance, unique, times, sessionCheck } = kit
  const record = recordMaker(kit)
  sessionCheck('accepts ids, subjects and user agents with any characters', async (store) => {
    const subject = `user:{${unique('s')}}@example.com \u00e9`
    const r = record(subject, {
      id: `${unique('x')}:{tag}*?[]\u00e9\u{1f511} "\\`,
      userAgent: 'Agent/1.0 (\u00e9\u{1f511}; "quoted"; back\\slash)',
    })
    await store.saveSession(r)
    expect(await store.listSessions(subject)).toEqual([like(r)])
    expect(await store.touchSession(subject, r.id, r.lastUsedAt + 1, r.expiresAt)).toBe(true)
    expect(await store.deleteSession(subject, r.id)).toBe(true)
    expect(await store.listSessions(subject)).toEqual([])
  })
  sessionCheck('keeps every one of 20 concurrent saves for one subject', async (store) => {
    const subject = unique('user')
    const records = times(20, () => record(subject))
    await Promise.all(records.map((r) => store.saveSession(r)))
    const listed = (await store.listSessions(subject)).map((r) => r.id).sort()
    expect(listed).toEqual(records.map((r) => r.id).sort())
  })
  sessionCheck('never brings back a deleted record: a touch racing a delete', async (store) => {
    const subject = unique('user')
    const records = times(10, () => record(subject))
    for (const r of records) await store.saveSession(r)
    await Promise.all(
      records.flatMap((r, i) => {
        const touch = () => store.touchSession(subject, r.id, r.lastUsedAt + 10, r.expiresAt + 10)
        const remove = () => store.deleteSession(subject, r.id)
        return i % 2 ? [touch(), remove()] : [remove(), touch()]
      }),
    )
    expect(await store.listSessions(subject)).toEqual([])
  })
  sessionCheck(
    'forgets a record once its expiresAt passes',
    async (store) => {
      const subject = unique('user')
      const r = record(subject, { expiresAt: sec() + 1 })
      await store.saveSession(r)
      expect(await store.listSessions(subject)).toHaveLength(1)
      await advance(2100)
      expect(await store.listSessions(subject)).toEqual([])
      expect(await store.touchSession(subject, r.id, r.lastUsedAt + 1, sec() + 600)).toBe(false)
      expect(await store.deleteSession(subject, r.id)).toBe(false)
      expect(await store.listSessions(subject)).toEqual([])
    },
    true,
  )
  sessionCheck(
    'keeps a touched record until its new expiry',
    async (store) => {
      const subject = unique('user')
      const r = record(subject, { expiresAt: Math.ceil(sec()) + 1 })
      await store.saveSession(r)
      expect(await store.touchSession(subject, r.id, r.lastUsedAt + 0.5, r.expiresAt + 5)).toBe(true)
      await advance(2100)
      expect(await store.listSessions(subject)).toEqual([
        like({ ...r, lastUsedAt: r.lastUsedAt + 0.5, expiresAt: r.expiresAt + 5 }),
      ])
    },
    true,
  )
}

/**
 * Paged listing, `getSession` and `deleteSessions`: the sessions section of the TokenStore
 * conformance kit for what keeps a subject with many records cheap — a page newest first that
 * continues strictly after the last record seen (even when that one is gone since), an ownership
 * check of one record, and forgetting every record of a subject.
 *
 * @internal
 */
import { expect } from 'vitest'
import type { SessionRecord } from '../stores/types.js'
import type { CheckKit, FullStore } from './kit.js'
import { idsOf, like, recordMaker } from './records.js'

/** Registers the page, getSession and deleteSessions checks, in order. */
export function addPageChecks(kit: CheckKit): void {
  kit.group('sessions: pages, getSession, deleteSessions')
  addListingChecks(kit)
  addRecordChecks(kit)
}

/** Every page of `subject`'s records, `limit` at a time, until a short one. */
async function allPages(store: FullStore, subject: string, limit: number): Promise<string[][]> {
  const pages: string[][] = []
  let after: { createdAt: number; id: string } | undefined
  for (;;) {
    const page = await store.listSessions(subject, { limit, after })
    expect(page.length).toBeLessThanOrEqual(limit)
    pages.push(page.map((r) => r.id))
    if (page.length < limit) return pages
    const last = page[page.length - 1]!
    after = { createdAt: last.createdAt, id: last.id }
    if (pages.length > 100) throw new Error('listSessions pages never end')
  }
}

/** Seven records of `subject` over four login times, ties included. */
function sevenRecords(kit: CheckKit, subject: string): SessionRecord[] {
  const record = recordMaker(kit)
  const base = kit.unique('fid')
  const t = Math.floor(kit.sec()) - 100 + 0.25
  // [id suffix, createdAt offset in s]: newest first is g; then c, e, f (a tie, by id); then b, d; a.
  const shape: [string, number][] = [
    ['f', 2],
    ['a', 0],
    ['d', 1],
    ['g', 3.001],
    ['c', 2],
    ['b', 1],
    ['e', 2],
  ]
  return shape.map(([id, offset]) => record(subject, { id: `${base}-${id}`, createdAt: t + offset }))
}

const suffixes = (pages: string[][]) => pages.map((page) => page.map((id) => id.slice(-1)).join(''))

function addListingChecks(kit: CheckKit): void {
  const { unique, sessionCheck } = kit
  sessionCheck(
    'listSessions with a page: newest login first, ties by id ascending, at most limit, strictly after',
    async (store) => {
      const subject = unique('user')
      for (const r of sevenRecords(kit, subject)) await store.saveSession(r)
      expect(suffixes(await allPages(store as FullStore, subject, 3))).toEqual(['gce', 'fbd', 'a'])
      expect(suffixes(await allPages(store as FullStore, subject, 7))).toEqual(['gcefbda', ''])
      expect(suffixes(await allPages(store as FullStore, subject, 1))).toEqual([...'gcefbda', ''])
      const [first] = await store.listSessions(subject, { limit: 1 })
      expect(first).toEqual(like((await store.listSessions(subject)).find((r) => r.id === first!.id)!))
    },
  )
  sessionCheck(
    'listSessions with a page: after continues past a record that no longer exists',
    async (store) => {
      const subject = unique('user')
      const records = sevenRecords(kit, subject)
      for (const r of records) await store.saveSession(r)
      const c = records.find((r) => r.id.endsWith('-c'))!
      expect(await store.deleteSession(subject, c.id)).toBe(true)
      const after = { createdAt: c.createdAt, id: c.id }
      expect(suffixes([(await store.listSessions(subject, { limit: 3, after })).map((r) => r.id)])).toEqual([
        'efb',
      ])
      // A cursor between two records: a createdAt no record has.
      const between = { createdAt: c.createdAt - 0.5, id: c.id }
      expect(
        suffixes([(await store.listSessions(subject, { limit: 9, after: between })).map((r) => r.id)]),
      ).toEqual(['bda'])
    },
  )
  sessionCheck('listSessions with a page: per subject', async (store) => {
    const [subject, other] = [unique('user'), unique('user')]
    for (const r of sevenRecords(kit, subject)) await store.saveSession(r)
    expect(await store.listSessions(other, { limit: 10 })).toEqual([])
    expect(await store.listSessions(subject, { limit: 10 })).toHaveLength(7)
  })
  sessionCheck(
    'listSessions with a page: never an expired record',
    async (store) => {
      const subject = unique('user')
      const records = sevenRecords(kit, subject).map((r) =>
        'bcg'.includes(r.id.slice(-1)) ? { ...r, expiresAt: kit.sec() + 1 } : r,
      )
      for (const r of records) await store.saveSession(r)
      await kit.advance(2100)
      expect(suffixes(await allPages(store as FullStore, subject, 2))).toEqual(['ef', 'da', ''])
    },
    true,
  )
}

function addRecordChecks(kit: CheckKit): void {
  const { sec, advance, unique, partCheck } = kit
  const record = recordMaker(kit)
  partCheck(
    "getSession: the subject's live record, else null (another subject's, unknown, deleted)",
    ['sessions', 'getSession'],
    async (store) => {
      const [subject, other] = [unique('user'), unique('user')]
      const r = record(subject, { userAgent: null })
      await store.saveSession(r)
      expect(await store.getSession(subject, r.id)).toEqual(like(r))
      expect(await store.getSession(other, r.id)).toBeNull()
      expect(await store.getSession(subject, unique('fid'))).toBeNull()
      expect(await store.touchSession(subject, r.id, r.lastUsedAt + 5, r.expiresAt + 5)).toBe(true)
      expect(await store.getSession(subject, r.id)).toEqual(
        like({ ...r, lastUsedAt: r.lastUsedAt + 5, expiresAt: r.expiresAt + 5 }),
      )
      await store.deleteSession(subject, r.id)
      expect(await store.getSession(subject, r.id)).toBeNull()
    },
  )
  partCheck(
    'getSession: null once the record expires',
    ['sessions', 'getSession'],
    async (store) => {
      const subject = unique('user')
      const r = record(subject, { expiresAt: sec() + 1 })
      await store.saveSession(r)
      expect(await store.getSession(subject, r.id)).toEqual(like(r))
      await advance(2100)
      expect(await store.getSession(subject, r.id)).toBeNull()
    },
    true,
  )
  partCheck(
    "deleteSessions: forgets every record of the subject, and no other subject's",
    ['sessions', 'deleteSessions'],
    async (store) => {
      const [subject, other] = [unique('user'), unique('user')]
      const mine = [record(subject), record(subject), record(subject)]
      const theirs = record(other)
      for (const r of [...mine, theirs]) await store.saveSession(r)
      await store.deleteSessions(subject)
      expect(await store.listSessions(subject)).toEqual([])
      expect(await store.listSessions(subject, { limit: 10 })).toEqual([])
      expect(await store.touchSession(subject, mine[0]!.id, sec(), sec() + 900)).toBe(false)
      expect(await store.deleteSession(subject, mine[1]!.id)).toBe(false)
      expect(idsOf(await store.listSessions(other))).toEqual([theirs.id])
      await store.deleteSessions(unique('nobody'))
      // The subject can start again.
      await store.saveSession(mine[2]!)
      expect(idsOf(await store.listSessions(subject))).toEqual([mine[2]!.id])
    },
  )
}

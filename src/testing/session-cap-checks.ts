/**
 * The `maxPerSubject` checks of the sessions section of the TokenStore conformance kit: a login past
 * the cap ends the OLDEST sessions in the same atomic step as the save, each revoked before it is
 * forgotten (a forgotten but unrevoked session keeps working, unseen). A store that resolves
 * `undefined` leaves the cap to the core: then it must have ended nothing.
 *
 * @internal
 */
import { expect } from 'vitest'
import type { SessionRecord } from '../stores/types.js'
import type { CheckKit, FullStore } from './kit.js'
import { idsOf, recordMaker } from './records.js'

/** Registers the maxPerSubject checks, in order. */
export function addSessionCapChecks(kit: CheckKit): void {
  kit.group('sessions: maxPerSubject')
  addOrderChecks(kit)
  addCapChecks(kit)
}

/** Is the family `id` of `subject` revoked (its revocation written under the subject)? */
const revoked = (store: FullStore, subject: string, id: string) =>
  Promise.resolve(store.isRevoked([id], { subject, issuedAt: 0 }))

/** Saves `records` one after the other with the cap; the ids each save ended (`undefined`: not applied). */
async function saveAll(store: FullStore, records: SessionRecord[], maxPerSubject: number) {
  const ended: (string[] | undefined)[] = []
  for (const r of records) ended.push((await store.saveSession(r, { maxPerSubject })) ?? undefined)
  return ended
}

function addOrderChecks(kit: CheckKit): void {
  const { unique, sessionCheck } = kit
  const record = recordMaker(kit)
  sessionCheck(
    'maxPerSubject: a save past the cap ends the oldest login, revokes its family, and returns its id',
    async (store) => {
      const subject = unique('user')
      const t = Math.floor(kit.sec()) - 100
      const [a, b, c, d] = [0, 1, 2, 3].map((i) =>
        record(subject, { createdAt: t + i, lastUsedAt: t + 50 - i }),
      )
      const ended = await saveAll(store as FullStore, [a!, b!, c!, d!], 3)
      if (ended.includes(undefined)) {
        // The cap is left to the core: then nothing may have been ended.
        expect(idsOf(await store.listSessions(subject))).toEqual(idsOf([a!, b!, c!, d!]))
        return
      }
      expect(ended).toEqual([[], [], [], [a!.id]])
      expect(idsOf(await store.listSessions(subject))).toEqual(idsOf([b!, c!, d!]))
      expect(await revoked(store as FullStore, subject, a!.id)).toBe(true)
      for (const r of [b!, c!, d!]) expect(await revoked(store as FullStore, subject, r.id)).toBe(false)
    },
  )
  sessionCheck(
    'maxPerSubject: the oldest is the smallest createdAt, then the smallest id; never the new record',
    async (store) => {
      const subject = unique('user')
      const t = Math.floor(kit.sec()) - 100 + 0.5
      const base = unique('fid')
      const at = (id: string, createdAt: number) => record(subject, { id: `${base}-${id}`, createdAt })
      // One millisecond later than x and y, and the smallest id: ordered by the time, to the ms.
      const [x, y, z] = [at('b', t), at('a', t), at('0', t + 0.001)]
      const ended = await saveAll(store as FullStore, [x, y, z], 3)
      if (ended.includes(undefined)) return
      // d is the newest; e is older than every record, and still it is not the one ended.
      const [d, e] = [at('d', t + 5), at('e', t - 50)]
      expect(await saveAll(store as FullStore, [d, e], 3)).toEqual([[y.id], [x.id]])
      expect(idsOf(await store.listSessions(subject))).toEqual(idsOf([z, d, e]))
    },
  )
  sessionCheck('maxPerSubject: saving a record again (same id) ends nothing', async (store) => {
    const subject = unique('user')
    const records = [record(subject), record(subject)]
    const ended = await saveAll(store as FullStore, records, 2)
    if (ended.includes(undefined)) return
    expect(await saveAll(store as FullStore, [{ ...records[0]!, userAgent: 'curl/8.0' }], 2)).toEqual([[]])
    expect(idsOf(await store.listSessions(subject))).toEqual(idsOf(records))
  })
  sessionCheck('maxPerSubject: ends an odd id under its own subject', async (store) => {
    const subject = `user:{${unique('s')}}@example.com \u00e9`
    const odd = record(subject, {
      id: `${unique('x')}:{tag}*?[]\u00e9\u{1f511} "\\`,
      createdAt: kit.sec() - 60,
    })
    const ended = await saveAll(store as FullStore, [odd, record(subject)], 1)
    if (ended.includes(undefined)) return
    expect(ended[1]).toEqual([odd.id])
    expect(await revoked(store as FullStore, subject, odd.id)).toBe(true)
  })
}

function addCapChecks(kit: CheckKit): void {
  const { sec, advance, unique, times, sessionCheck } = kit
  const record = recordMaker(kit)
  sessionCheck(
    'maxPerSubject: 50 concurrent saves with a cap of 10 leave exactly 10 live records and 40 revoked families',
    async (store) => {
      const subject = unique('user')
      const t = Math.floor(sec()) - 100
      const records = times(50, (i) => record(subject, { createdAt: t + i / 10 }))
      const results = await Promise.all(records.map((r) => store.saveSession(r, { maxPerSubject: 10 })))
      const live = idsOf(await store.listSessions(subject))
      if (results.some((r) => r === undefined)) return
      expect(live).toHaveLength(10)
      const ended = (results as string[][]).flat().sort()
      // Every record not live was ended by exactly one save, and revoked; no live one is revoked.
      expect(ended).toEqual(idsOf(records).filter((id) => !live.includes(id)))
      for (const id of ended) expect(await revoked(store as FullStore, subject, id), id).toBe(true)
      for (const id of live) expect(await revoked(store as FullStore, subject, id), id).toBe(false)
    },
  )
  sessionCheck('maxPerSubject: counts and ends records of the subject only', async (store) => {
    const [subject, other] = [unique('user'), unique('user')]
    const theirs = times(3, () => record(other))
    await saveAll(store as FullStore, theirs, 3)
    const mine = times(3, (i) => record(subject, { createdAt: sec() - 10 + i }))
    const ended = await saveAll(store as FullStore, mine, 2)
    if (ended.includes(undefined)) return
    expect(ended).toEqual([[], [], [mine[0]!.id]])
    expect(idsOf(await store.listSessions(other))).toEqual(idsOf(theirs))
    for (const r of theirs) expect(await revoked(store as FullStore, other, r.id)).toBe(false)
  })
  sessionCheck(
    'maxPerSubject: expired records do not count, and are not ended',
    async (store) => {
      const subject = unique('user')
      const short = times(2, (i) => record(subject, { createdAt: sec() - 30 + i, expiresAt: sec() + 1 }))
      const ended = await saveAll(store as FullStore, short, 2)
      if (ended.includes(undefined)) return
      await advance(2100)
      const fresh = times(2, () => record(subject))
      expect(await saveAll(store as FullStore, fresh, 2)).toEqual([[], []])
      expect(idsOf(await store.listSessions(subject))).toEqual(idsOf(fresh))
    },
    true,
  )
}

// The "sessions" section of the conformance kit (tokenward/testing) is a product of its own: a
// store author relies on it to catch their bugs. So each of its checks is run here against a store
// with exactly that bug, and must fail — and against the same store without bugs, where every check
// passes. A store that keeps no session records skips the section.
import { describe, expect, it } from 'vitest'
import { memoryStore } from '../../src/index.js'
import type { SessionRecord, TokenStore } from '../../src/stores/types.js'
import { runTokenStoreConformance } from '../../src/testing/index.js'
import { conformanceChecks, keepsSessions } from '../../src/testing/store-conformance.js'
import { pageOf } from './kit-sketch.js'

type Flaw =
  | 'save reads the list, then writes it back'
  | 'touch reads, then writes'
  | 'touch creates a missing record'
  | 'touch lowers the times'
  | 'touch and delete ignore the subject'
  | 'records never expire'
  | 'list returns expired records'

/** Lets every other pending call run: what a network round trip does between two commands. */
const roundTrip = () => new Promise<void>((resolve) => setImmediate(resolve))

/**
 * Session records over a plain map with an injected clock and a round trip before every answer,
 * like a remote store; the rest of the TokenStore is a memoryStore. Each flaw is one classic
 * mistake of a real implementation (a read-modify-write, a `WHERE id = $1` without the subject …).
 */
function sketchStore(now: () => number, flaws: ReadonlySet<Flaw> = new Set()): TokenStore {
  const lists = new Map<string, SessionRecord[]>() // subject → records
  const alive = (r: SessionRecord) => flaws.has('records never expire') || r.expiresAt * 1000 > now()
  const listOf = (subject: string) => lists.get(subject) ?? []
  /** Where the record `id` of `subject` is (with the subject ignored, anyone's record `id`). */
  const find = (subject: string, id: string): [SessionRecord[], number] | undefined => {
    const owners = flaws.has('touch and delete ignore the subject') ? [...lists.values()] : [listOf(subject)]
    for (const list of owners) {
      const i = list.findIndex((r) => r.id === id && alive(r))
      if (i >= 0) return [list, i]
    }
    return undefined
  }
  const put = (record: SessionRecord, list = listOf(record.subject)) => {
    const next = [...list.filter((r) => r.id !== record.id), { ...record }]
    lists.set(record.subject, next)
  }
  // The rest of the TokenStore is a memoryStore's, without its own session and refresh extras.
  const { getSession, deleteSessions, spendRefresh, spentGeneration, ...base } = memoryStore({ now })
  return {
    ...base,
    async saveSession(record) {
      if (!alive(record)) return
      if (flaws.has('save reads the list, then writes it back')) {
        const before = listOf(record.subject)
        await roundTrip()
        put(record, before)
        return
      }
      await roundTrip()
      put(record)
    },
    async touchSession(subject, id, lastUsedAt, expiresAt) {
      const change = (r: SessionRecord): SessionRecord =>
        flaws.has('touch lowers the times')
          ? { ...r, lastUsedAt, expiresAt }
          : {
              ...r,
              lastUsedAt: Math.max(r.lastUsedAt, lastUsedAt),
              expiresAt: Math.max(r.expiresAt, expiresAt),
            }
      if (flaws.has('touch reads, then writes')) {
        const found = find(subject, id)
        const record = found && { ...found[0][found[1]]! }
        await roundTrip()
        if (!record) return false
        put(change(record))
        return true
      }
      await roundTrip()
      const found = find(subject, id)
      if (!found) {
        if (!flaws.has('touch creates a missing record')) return false
        const at = { createdAt: lastUsedAt, lastUsedAt, expiresAt }
        put({ id, subject, ...at, userAgent: null, address: null })
        return true
      }
      const [list, i] = found
      list[i] = change(list[i]!)
      return true
    },
    async listSessions(subject, page) {
      await roundTrip()
      const records = listOf(subject)
        .filter((r) => flaws.has('list returns expired records') || alive(r))
        .map((r) => ({ ...r }))
      return page ? pageOf(records, page) : records
    },
    async deleteSession(subject, id) {
      await roundTrip()
      const found = find(subject, id)
      if (!found) return false
      found[0].splice(found[1], 1)
      return true
    },
  }
}

/** Runs every session check on a fresh store each; returns the names of those that failed. */
async function failingChecks(flaws: Flaw[]): Promise<string[]> {
  let t = Date.UTC(2026, 0, 1)
  const now = () => t
  const checks = conformanceChecks({
    now,
    advanceTime: (ms) => {
      t += ms
    },
  }).filter((c) => c.sessions)
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

describe('runTokenStoreConformance, sessions section (the kit itself)', () => {
  it('passes a correct store', async () => {
    expect(await failingChecks([])).toEqual([])
  })

  const cases: [Flaw, string[]][] = [
    ['save reads the list, then writes it back', ['keeps every one of 20 concurrent saves for one subject']],
    ['touch reads, then writes', ['never brings back a deleted record: a touch racing a delete']],
    [
      'touch creates a missing record',
      [
        'keeps records per subject: no call with one subject sees or changes another',
        'touchSession raises lastUsedAt and expiresAt, never lowers them, and creates nothing',
        'deleteSession removes a record: true once, then false',
        'never brings back a deleted record: a touch racing a delete',
        'forgets a record once its expiresAt passes',
      ],
    ],
    [
      'touch lowers the times',
      ['touchSession raises lastUsedAt and expiresAt, never lowers them, and creates nothing'],
    ],
    [
      'touch and delete ignore the subject',
      ['keeps records per subject: no call with one subject sees or changes another'],
    ],
    [
      'records never expire',
      [
        'keeps nothing for a record whose expiry has passed',
        'forgets a record once its expiresAt passes',
        'listSessions with a page: never an expired record',
      ],
    ],
    [
      'list returns expired records',
      ['forgets a record once its expiresAt passes', 'listSessions with a page: never an expired record'],
    ],
  ]
  for (const [flaw, expected] of cases) {
    it(`catches a store whose ${flaw}`, async () => {
      expect(await failingChecks([flaw])).toEqual(expected)
    })
  }

  it('passes at once on a store that keeps no session records', async () => {
    const { saveSession, touchSession, listSessions, deleteSession, getSession, deleteSessions, ...plain } =
      memoryStore()
    expect(keepsSessions(plain)).toBe(false)
    const checks = conformanceChecks().filter((c) => c.sessions)
    expect(checks.length).toBeGreaterThan(8)
    for (const check of checks) await check.run(plain)
    // …but a store with some of the methods fails the one check that is not optional.
    const partial = conformanceChecks().find((c) => c.name === 'implements all four session methods or none')!
    expect(partial.sessions).toBe(false)
    await expect(partial.run({ ...plain, saveSession })).rejects.toThrow()
  })

  it('puts the session checks that wait for expiry in the expiry group', () => {
    const checks = conformanceChecks().filter((c) => c.sessions)
    expect(checks.filter((c) => c.waits).every((c) => c.group === 'expiry')).toBe(true)
    expect(new Set(checks.filter((c) => !c.waits).map((c) => c.group))).toEqual(
      new Set([
        'sessions',
        'sessions: maxPerSubject',
        'sessions: pages, getSession, deleteSessions',
        'spendRefresh / spentGeneration',
      ]),
    )
  })
})

// What a store author sees for a store without session records: the section is skipped.
let now = Date.UTC(2026, 0, 1)
runTokenStoreConformance(
  () => {
    const { saveSession, touchSession, listSessions, deleteSession, getSession, deleteSessions, ...plain } =
      memoryStore({ now: () => now })
    return plain
  },
  {
    name: 'a store without session records (the sessions section is skipped)',
    now: () => now,
    advanceTime: (ms) => {
      now += ms
    },
  },
)

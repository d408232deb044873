// The maxPerSubject, page, getSession and deleteSessions checks of the conformance kit's sessions
// sections, each run against a store with exactly the bug it is named for (kit-sketch.ts): it must
// fail there. kit-flaws.ts runs the whole kit; refresh-kit.test.ts checks that the correct sketch
// passes all of it.
import { describe, expect, it } from 'vitest'
import { memoryStore } from '../../src/index.js'
import { conformanceChecks } from '../../src/testing/store-conformance.js'
import { failingChecks } from './kit-flaws.js'
import type { SketchFlaw } from './kit-sketch.js'

const ENDS_OLDEST =
  'maxPerSubject: a save past the cap ends the oldest login, revokes its family, and returns its id'
const ORDER =
  'maxPerSubject: the oldest is the smallest createdAt, then the smallest id; never the new record'
const SAME_ID = 'maxPerSubject: saving a record again (same id) ends nothing'
const ODD = 'maxPerSubject: ends an odd id under its own subject'
const FIFTY =
  'maxPerSubject: 50 concurrent saves with a cap of 10 leave exactly 10 live records and 40 revoked families'
const SUBJECT = 'maxPerSubject: counts and ends records of the subject only'
const EXPIRED = 'maxPerSubject: expired records do not count, and are not ended'
const PAGES =
  'listSessions with a page: newest login first, ties by id ascending, at most limit, strictly after'
const GONE = 'listSessions with a page: after continues past a record that no longer exists'
const PAGE_EXPIRED = 'listSessions with a page: never an expired record'
const GET = "getSession: the subject's live record, else null (another subject's, unknown, deleted)"
const GET_EXPIRED = 'getSession: null once the record expires'
const DELETE_ALL = "deleteSessions: forgets every record of the subject, and no other subject's"

describe('runTokenStoreConformance, maxPerSubject, pages, getSession, deleteSessions (the kit itself)', () => {
  const cases: [SketchFlaw, string[]][] = [
    ['cap forgets without revoking', [ENDS_OLDEST, ODD, FIFTY]],
    ['cap revokes under no subject', [ENDS_OLDEST, ODD, FIFTY]],
    ['cap counts, then writes', [FIFTY]],
    ['cap may end the new record', [ORDER]],
    ['cap ends ties by the largest id', [ORDER]],
    ['cap orders by the second', [ORDER]],
    ['cap counts expired records', [EXPIRED]],
    ['cap counts every subject', [SUBJECT]],
    ['cap ends on a replacing save', [SAME_ID]],
    ['page after is inclusive', [PAGES, GONE, PAGE_EXPIRED]],
    ['page after needs the record', [GONE]],
    ['page ties by the largest id', [PAGES, GONE, PAGE_EXPIRED]],
    ['page ignores limit', [PAGES, GONE, PAGE_EXPIRED]],
    ['page returns expired records', [PAGE_EXPIRED]],
    ['getSession ignores the subject', [GET]],
    ['getSession returns expired records', [GET_EXPIRED]],
    ['deleteSessions forgets every subject', [DELETE_ALL]],
  ]
  for (const [flaw, expected] of cases) {
    it(`catches a store whose ${flaw}`, async () => {
      expect(await failingChecks([flaw])).toEqual(expected)
    })
  }

  it('runs getSession and deleteSessions checks only on a store that has them', async () => {
    const { getSession, deleteSessions, ...partial } = memoryStore()
    const checks = conformanceChecks().filter(
      (c) => c.requires.includes('getSession') || c.requires.includes('deleteSessions'),
    )
    expect(checks.map((c) => c.name)).toEqual([GET, GET_EXPIRED, DELETE_ALL])
    for (const check of checks) await check.run(partial)
    expect(checks.every((c) => c.sessions)).toBe(true)
  })
})

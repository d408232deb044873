// The spendRefresh section of the conformance kit (tokenward/testing) is a product of its own: a
// store author relies on it to catch their bugs. So each of its checks is run here against a store
// with exactly that bug (kit-sketch.ts), and must fail — and against the same store without bugs,
// where every check of the kit passes.
import { describe, expect, it } from 'vitest'
import { memoryStore } from '../../src/index.js'
import { conformanceChecks } from '../../src/testing/store-conformance.js'
import { failingChecks } from './kit-flaws.js'
import type { SketchFlaw } from './kit-sketch.js'

const ROTATES = 'spendRefresh: the first presentation of a generation rotates; a spent or older one is reused'
const REUSED_NOTHING = 'spendRefresh: reused changes nothing — the next generation still rotates, once'
const FIFTY = 'spendRefresh: of 50 concurrent presentations of one unspent generation exactly one rotates'
const FIFTY_GRACE =
  'spendRefresh: with a grace window, 50 concurrent presentations give 1 rotate, graceRetries retries, the rest reused'
const RETRIES =
  'spendRefresh: within graceSeconds, graceRetries retries of the latest generation, then reused'
const FIRST = 'spendRefresh: the grace window runs from the FIRST presentation, by the clock of spend.now'
const ZERO = 'spendRefresh: graceSeconds 0 never retries'
const BEFORE =
  'spendRefresh: a presentation timed before the first one retries only within graceSeconds of it'
const REVOKED = 'spendRefresh: a revoked token id or family is revoked, and nothing is written'
const CUTOFF =
  "spendRefresh: the subject's cutoff at or after issuedAt is revoked (nothing written); another subject's is not"
const GENERATION =
  'spentGeneration: null before any spend, then the highest generation spent; a read creates nothing'
const NEVER_SHORTENED =
  'spendRefresh: keeps the family state at least until the latest expiresAt, never shortened'
const TOUCH =
  'spendRefresh: moves the session record on for rotate and retry, never back, never for reused or revoked'
const TOUCH_CREATES = 'spendRefresh: the touch never creates a record, nor moves another subject’s'

describe('runTokenStoreConformance, spendRefresh section (the kit itself)', () => {
  it('passes a correct store, every section included', async () => {
    expect(await failingChecks([])).toEqual([])
  })

  const cases: [SketchFlaw, string[]][] = [
    ['spend reads, then writes', [FIFTY, FIFTY_GRACE]],
    ['spend shortens the state', [NEVER_SHORTENED]],
    ['spend writes when revoked', [REVOKED, CUTOFF, GENERATION]],
    ['spend ignores the cutoff', [CUTOFF]],
    ['spend rotates any other generation', [ROTATES, REUSED_NOTHING, RETRIES, GENERATION, NEVER_SHORTENED]],
    ['reused lowers the state', [ROTATES, RETRIES, GENERATION, NEVER_SHORTENED]],
    ['grace runs from the last presentation', [FIRST, BEFORE]],
    // A window measured one way only: a presentation timed before the first (another instance's
    // clock) was always "within" it — with reuseGrace 0, two concurrent refreshes both passed.
    ['grace window is one-sided', [ZERO, BEFORE]],
    ['grace retries are unlimited', [REUSED_NOTHING, FIFTY_GRACE, RETRIES, TOUCH]],
    ['touch whatever the verdict', [TOUCH]],
    ['spentGeneration creates a state', [GENERATION]],
  ]
  for (const [flaw, expected] of cases) {
    it(`catches a store whose ${flaw}`, async () => {
      expect(await failingChecks([flaw])).toEqual(expected)
    })
  }

  it('catches a store whose touch creates a record (with the session checks that see it too)', async () => {
    const failed = await failingChecks(['touch creates a record'])
    expect(failed).toContain(TOUCH_CREATES)
    expect(failed).toContain(
      'touchSession raises lastUsedAt and expiresAt, never lowers them, and creates nothing',
    )
  })

  it('passes at once on a store without spendRefresh, and the section names what it needs', async () => {
    const { spendRefresh, spentGeneration, ...plain } = memoryStore()
    const checks = conformanceChecks().filter((c) => c.requires.includes('spendRefresh'))
    expect(checks.length).toBeGreaterThan(12)
    for (const check of checks) await check.run(plain)
    expect(checks.filter((c) => c.requires.includes('sessions')).map((c) => c.name)).toEqual([
      TOUCH,
      TOUCH_CREATES,
    ])
    // spentGeneration without spendRefresh is a store half-built: the shape check says so.
    const shape = conformanceChecks().find((c) =>
      c.name.startsWith('has getSession and deleteSessions only'),
    )!
    await expect(shape.run({ ...plain, spentGeneration })).rejects.toThrow()
    await shape.run({ ...plain, spendRefresh, spentGeneration })
  })
})

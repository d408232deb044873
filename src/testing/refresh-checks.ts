/**
 * The optional "spendRefresh" section of the TokenStore conformance kit (store-conformance.ts):
 * one refresh-token presentation decided in one atomic step (session invariants S1, S2). A store
 * that lets two presentations of one generation both rotate forks the session; one that shortens
 * the family's state lets an old token rotate again once it is gone; one that writes on a revoked
 * presentation, or touches the record of a reused one, changes what it must leave alone.
 *
 * @internal
 */
import { expect } from 'vitest'
import type { RefreshSpend } from '../stores/types.js'
import type { CheckKit, FullStore } from './kit.js'
import { like, recordMaker } from './records.js'

/** Registers the spendRefresh and spentGeneration checks, in order. */
export function addRefreshChecks(kit: CheckKit): void {
  kit.group('spendRefresh / spentGeneration')
  addVerdictChecks(kit)
  addGraceChecks(kit)
  addRevokedChecks(kit)
  addStateChecks(kit)
  addTouchChecks(kit)
}

/** A presentation maker: generation `g` of `family` of `subject`, presented now by the kit's clock. */
function spendMaker({ sec, ms, unique }: CheckKit) {
  return (
    subject: string,
    family: string,
    generation: number,
    overrides: Partial<RefreshSpend> = {},
  ): RefreshSpend => ({
    family,
    generation,
    subject,
    ids: [unique('jti'), family],
    issuedAt: sec() - 1,
    expiresAt: Math.floor(sec()) + 600,
    now: ms(),
    graceSeconds: 0,
    graceRetries: 0,
    ...overrides,
  })
}

/** The verdicts of presenting each of `generations` in turn, one after the other. */
async function verdicts(store: FullStore, spends: RefreshSpend[]): Promise<string[]> {
  const out: string[] = []
  for (const spend of spends) out.push(await store.spendRefresh(spend))
  return out
}

function addVerdictChecks(kit: CheckKit): void {
  const { unique, times, partCheck } = kit
  const spend = spendMaker(kit)
  partCheck(
    'spendRefresh: the first presentation of a generation rotates; a spent or older one is reused',
    ['spendRefresh'],
    async (store) => {
      const [subject, family] = [unique('user'), unique('fid')]
      const at = (g: number) => spend(subject, family, g)
      expect(await verdicts(store, [at(0), at(0), at(1), at(0), at(1), at(3), at(2), at(3), at(4)])).toEqual([
        'rotate',
        'reused',
        'rotate',
        'reused',
        'reused',
        'rotate', // any generation above the highest spent one
        'reused',
        'reused',
        'rotate',
      ])
    },
  )
  partCheck(
    'spendRefresh: reused changes nothing — the next generation still rotates, once',
    ['spendRefresh'],
    async (store) => {
      const [subject, family] = [unique('user'), unique('fid')]
      const grace = { graceSeconds: 600, graceRetries: 1 }
      expect(await store.spendRefresh(spend(subject, family, 5, grace))).toBe('rotate')
      expect(await store.spendRefresh(spend(subject, family, 5, grace))).toBe('retry')
      for (const g of [5, 5, 4, 0])
        expect(await store.spendRefresh(spend(subject, family, g, grace))).toBe('reused')
      expect(await store.spendRefresh(spend(subject, family, 6, grace))).toBe('rotate')
      expect(await store.spendRefresh(spend(subject, family, 5, grace))).toBe('reused')
    },
  )
  partCheck(
    'spendRefresh: of 50 concurrent presentations of one unspent generation exactly one rotates',
    ['spendRefresh'],
    async (store) => {
      const [subject, family] = [unique('user'), unique('fid')]
      const results = await Promise.all(times(50, () => store.spendRefresh(spend(subject, family, 3))))
      expect(results.filter((v) => v === 'rotate')).toHaveLength(1)
      expect(results.filter((v) => v === 'reused')).toHaveLength(49)
    },
  )
  partCheck(
    'spendRefresh: with a grace window, 50 concurrent presentations give 1 rotate, graceRetries retries, the rest reused',
    ['spendRefresh'],
    async (store) => {
      const [subject, family] = [unique('user'), unique('fid')]
      const grace = { graceSeconds: 600, graceRetries: 2 }
      const results = await Promise.all(times(50, () => store.spendRefresh(spend(subject, family, 0, grace))))
      expect(results.filter((v) => v === 'rotate')).toHaveLength(1)
      expect(results.filter((v) => v === 'retry')).toHaveLength(2)
      expect(results.filter((v) => v === 'reused')).toHaveLength(47)
    },
  )
  partCheck(
    'spendRefresh: families are independent, and so are subjects',
    ['spendRefresh'],
    async (store) => {
      const subject = unique('user')
      const [a, b, c] = [unique('fid'), unique('fid'), unique('fid')]
      const other = unique('user')
      expect(await store.spendRefresh(spend(subject, a, 0))).toBe('rotate')
      expect(await store.spendRefresh(spend(subject, b, 0))).toBe('rotate')
      expect(await store.spendRefresh(spend(other, c, 0))).toBe('rotate')
      expect(await store.spendRefresh(spend(subject, a, 1))).toBe('rotate')
      expect(await store.spendRefresh(spend(subject, b, 0))).toBe('reused')
      expect(await store.spendRefresh(spend(other, c, 1))).toBe('rotate')
      expect(await store.spendRefresh(spend(subject, b, 1))).toBe('rotate')
    },
  )
}

function addGraceChecks(kit: CheckKit): void {
  const { unique, ms, partCheck } = kit
  const spend = spendMaker(kit)
  partCheck(
    'spendRefresh: within graceSeconds, graceRetries retries of the latest generation, then reused',
    ['spendRefresh'],
    async (store) => {
      const [subject, family] = [unique('user'), unique('fid')]
      const at = (g: number) => spend(subject, family, g, { graceSeconds: 600, graceRetries: 2 })
      expect(await verdicts(store, [at(0), at(0), at(0), at(0), at(0)])).toEqual([
        'rotate',
        'retry',
        'retry',
        'reused',
        'reused',
      ])
      // The next generation has retries of its own; the older one is no retry any more.
      expect(await verdicts(store, [at(1), at(0), at(1)])).toEqual(['rotate', 'reused', 'retry'])
    },
  )
  // The window is measured with the caller's clock (spend.now), so no waiting is needed.
  partCheck(
    'spendRefresh: the grace window runs from the FIRST presentation, by the clock of spend.now',
    ['spendRefresh'],
    async (store) => {
      const [subject, family] = [unique('user'), unique('fid')]
      const t = ms()
      const at = (offset: number) =>
        spend(subject, family, 0, { graceSeconds: 2, graceRetries: 5, now: t + offset })
      expect(await verdicts(store, [at(0), at(1200), at(1999)])).toEqual(['rotate', 'retry', 'retry'])
      // 2.4 s after the first presentation, 0.4 s after the last: outside the window.
      expect(await verdicts(store, [at(2400), at(2000)])).toEqual(['reused', 'reused'])
    },
  )
  partCheck('spendRefresh: graceSeconds 0 never retries', ['spendRefresh'], async (store) => {
    const [subject, family] = [unique('user'), unique('fid')]
    const t = ms()
    // The second presentation of each is timed 5 ms BEFORE the first (another instance's clock,
    // or a call that waited for its connection): still no retry.
    const at = (g: number, offset = 0) =>
      spend(subject, family, g, { graceSeconds: 0, graceRetries: 2, now: t + offset })
    expect(await verdicts(store, [at(0), at(0, -5), at(1), at(1, -5), at(1)])).toEqual([
      'rotate',
      'reused',
      'rotate',
      'reused',
      'reused',
    ])
  })
  partCheck(
    'spendRefresh: a presentation timed before the first one retries only within graceSeconds of it',
    ['spendRefresh'],
    async (store) => {
      const [subject, family] = [unique('user'), unique('fid')]
      const t = ms()
      const at = (offset: number) =>
        spend(subject, family, 0, { graceSeconds: 2, graceRetries: 5, now: t + offset })
      // An instance whose clock is 1.5 s behind still retries; one 2.5 s behind does not.
      expect(await verdicts(store, [at(0), at(-1500), at(-2500)])).toEqual(['rotate', 'retry', 'reused'])
    },
  )
}

function addRevokedChecks(kit: CheckKit): void {
  const { sec, unique, partCheck } = kit
  const spend = spendMaker(kit)
  partCheck(
    'spendRefresh: a revoked token id or family is revoked, and nothing is written',
    ['spendRefresh'],
    async (store) => {
      const [subject, family] = [unique('user'), unique('fid')]
      const jti = unique('jti')
      await store.revoke(jti, sec() + 600, subject)
      const grace = { graceSeconds: 600, graceRetries: 2 }
      expect(await store.spendRefresh(spend(subject, family, 0, { ...grace, ids: [jti, family] }))).toBe(
        'revoked',
      )
      // Nothing was spent: the same generation, presented by another token id, still rotates.
      expect(await store.spendRefresh(spend(subject, family, 0, grace))).toBe('rotate')
      await store.revoke(family, sec() + 600, subject)
      // Revoked comes first: neither a retry nor a reuse.
      expect(await store.spendRefresh(spend(subject, family, 0, grace))).toBe('revoked')
      expect(await store.spendRefresh(spend(subject, family, 1, grace))).toBe('revoked')
    },
  )
  partCheck(
    "spendRefresh: the subject's cutoff at or after issuedAt is revoked (nothing written); another subject's is not",
    ['spendRefresh'],
    async (store) => {
      const [subject, family] = [unique('user'), unique('fid')]
      const at = Math.floor(sec()) - 10
      await store.setCutoff(subject, at, sec() + 600)
      await store.setCutoff(unique('user'), sec() + 60, sec() + 600)
      expect(await store.spendRefresh(spend(subject, family, 0, { issuedAt: at - 5 }))).toBe('revoked')
      expect(await store.spendRefresh(spend(subject, family, 0, { issuedAt: at }))).toBe('revoked')
      expect(await store.spendRefresh(spend(subject, family, 0, { issuedAt: at + 0.5 }))).toBe('rotate')
    },
  )
}

function addStateChecks(kit: CheckKit): void {
  const { sec, advance, unique, partCheck } = kit
  const spend = spendMaker(kit)
  partCheck(
    'spentGeneration: null before any spend, then the highest generation spent; a read creates nothing',
    ['spendRefresh', 'spentGeneration'],
    async (store) => {
      const [subject, family] = [unique('user'), unique('fid')]
      expect(await store.spentGeneration(family, subject)).toBeNull()
      expect(await store.spentGeneration(family, subject)).toBeNull()
      expect(await store.spendRefresh(spend(subject, family, 0))).toBe('rotate')
      expect(await store.spentGeneration(family, subject)).toBe(0)
      expect(await store.spendRefresh(spend(subject, family, 2))).toBe('rotate')
      expect(await store.spendRefresh(spend(subject, family, 1))).toBe('reused')
      expect(await store.spentGeneration(family, subject)).toBe(2)
      const revoked = unique('fid')
      await store.revoke(revoked, sec() + 600, subject)
      expect(await store.spendRefresh(spend(subject, revoked, 0))).toBe('revoked')
      expect(await store.spentGeneration(revoked, subject)).toBeNull()
    },
  )
  // A state that expires before the successor does lets an old token rotate again: a fork (S1).
  partCheck(
    'spendRefresh: keeps the family state at least until the latest expiresAt, never shortened',
    ['spendRefresh'],
    async (store) => {
      const subject = unique('user')
      const [a, b] = [unique('fid'), unique('fid')]
      expect(await store.spendRefresh(spend(subject, a, 0, { expiresAt: Math.floor(sec()) + 600 }))).toBe(
        'rotate',
      )
      expect(await store.spendRefresh(spend(subject, a, 1, { expiresAt: sec() + 1 }))).toBe('rotate')
      expect(await store.spendRefresh(spend(subject, b, 0, { expiresAt: sec() + 1 }))).toBe('rotate')
      expect(await store.spendRefresh(spend(subject, b, 1, { expiresAt: Math.floor(sec()) + 600 }))).toBe(
        'rotate',
      )
      await advance(2100)
      for (const [family, g] of [
        [a, 0],
        [a, 1],
        [b, 0],
        [b, 1],
      ] as const)
        expect(await store.spendRefresh(spend(subject, family, g)), `${family === a ? 'a' : 'b'}${g}`).toBe(
          'reused',
        )
    },
    true,
  )
  partCheck(
    'spendRefresh: forgets the family state once it expires',
    ['spendRefresh'],
    async (store) => {
      const [subject, family] = [unique('user'), unique('fid')]
      expect(await store.spendRefresh(spend(subject, family, 0, { expiresAt: sec() + 1 }))).toBe('rotate')
      await advance(2100)
      expect(await store.spendRefresh(spend(subject, family, 0, { expiresAt: sec() + 1 }))).toBe('rotate')
    },
    true,
  )
  partCheck(
    'spendRefresh: accepts ids, families and subjects with any characters',
    ['spendRefresh'],
    async (store) => {
      const subject = `user:{${unique('s')}}@example.com \u00e9`
      const family = `${unique('f')}:{tag}*?[]\u00e9\u{1f511} "\\`
      expect(await store.spendRefresh(spend(subject, family, 0))).toBe('rotate')
      expect(await store.spendRefresh(spend(subject, family, 0))).toBe('reused')
      const jti = `${unique('j')}:{x}\u00e9`
      await store.revoke(jti, sec() + 600, subject)
      expect(await store.spendRefresh(spend(subject, family, 1, { ids: [jti, family] }))).toBe('revoked')
    },
  )
}

function addTouchChecks(kit: CheckKit): void {
  const { unique, partCheck } = kit
  const spend = spendMaker(kit)
  const record = recordMaker(kit)
  partCheck(
    'spendRefresh: moves the session record on for rotate and retry, never back, never for reused or revoked',
    ['spendRefresh', 'sessions'],
    async (store) => {
      const subject = unique('user')
      const r = record(subject)
      await store.saveSession(r)
      const listed = async () => (await store.listSessions(subject))[0]
      const present = (g: number, by: number, extra: Partial<RefreshSpend> = {}) =>
        store.spendRefresh(
          spend(subject, r.id, g, {
            graceSeconds: 600,
            graceRetries: 1,
            touch: { lastUsedAt: r.lastUsedAt + by, expiresAt: r.expiresAt + by },
            ...extra,
          }),
        )
      const moved = (by: number) => like({ ...r, lastUsedAt: r.lastUsedAt + by, expiresAt: r.expiresAt + by })
      expect(await present(0, 10)).toBe('rotate')
      expect(await listed()).toEqual(moved(10))
      expect(await present(0, 20)).toBe('retry')
      expect(await listed()).toEqual(moved(20))
      expect(await present(0, 30)).toBe('reused')
      expect(await present(1, 5)).toBe('rotate') // earlier values: nothing moves back
      expect(await listed()).toEqual(moved(20))
      const jti = unique('jti')
      await store.revoke(jti, r.expiresAt, subject)
      expect(await present(2, 40, { ids: [jti, r.id] })).toBe('revoked')
      expect(await listed()).toEqual(moved(20))
    },
  )
  partCheck(
    'spendRefresh: the touch never creates a record, nor moves another subject’s',
    ['spendRefresh', 'sessions'],
    async (store) => {
      const [subject, other] = [unique('user'), unique('user')]
      const theirs = record(other)
      await store.saveSession(theirs)
      const touch = { lastUsedAt: theirs.lastUsedAt + 10, expiresAt: theirs.expiresAt + 10 }
      expect(await store.spendRefresh(spend(subject, unique('fid'), 0, { touch }))).toBe('rotate')
      expect(await store.spendRefresh(spend(subject, theirs.id, 0, { touch }))).toBe('rotate')
      expect(await store.listSessions(subject)).toEqual([])
      expect(await store.listSessions(other)).toEqual([like(theirs)])
    },
  )
}

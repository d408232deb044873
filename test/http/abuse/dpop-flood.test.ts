// Anonymous DPoP proofs store nothing. A proof is checked before the
// password (or the refresh token) and its jti recorded only once the request passed its rate limit
// and its credentials: a failed login or refresh leaves the same proof usable, on Redis no `dpop`
// key appears, and a flood of failed logins cannot fill memoryStore (the victim's refresh and
// logout keep working). A proof's iat may be in the future by the clock tolerance (5 s) only. Over
// real HTTP on Express, Fastify and Hono, with memoryStore and a real Redis; time is injected.
import { afterEach, describe, expect, it } from 'vitest'
import { createAuth } from '../../../src/index.js'
import {
  type DpopKey,
  errorOf,
  FRAMEWORKS,
  newDpopKey,
  type Pair,
  postJson,
  proof,
  SECRET,
  type Served,
  serveAuth,
} from '../invariants/app.js'
import { type MemoryBounds, STORES, testClock, useStores } from './stores.js'

const ADA = { username: 'ada', password: 'ada-password' }
const BOB = { username: 'bob', password: 'bob-password' }

describe.each(STORES)('%s store', (kind) => {
  const stores = useStores(kind, 'proofs')

  describe.each(FRAMEWORKS)('%s', (framework) => {
    const opened: Served[] = []
    afterEach(async () => {
      await Promise.all(opened.splice(0).map((app) => app.close()))
    })

    /** The routes with DPoP on and the default login limit (5 per username, 50 per address). */
    const start = async (memory?: MemoryBounds) => {
      const clock = testClock()
      const { store, prefix } = stores.make(clock.now, memory)
      const auth = createAuth({ secret: SECRET, dpop: true, now: clock.now, store })
      const app = await serveAuth(framework, auth, { rateLimit: {} })
      opened.push(app)
      const url = (path: string) => `${app.url}/auth${path}`
      /** A proof of `key` for POST `path`, made `offset` seconds from the server's clock. */
      const proofFor = (key: DpopKey, path: string, offset = 0) =>
        proof(key, 'POST', url(path), undefined, clock.now() + offset * 1000)
      const login = async (body: object, dpop?: string) =>
        postJson(url('/login'), body, dpop === undefined ? {} : { dpop })
      return { auth, prefix, url, proofFor, login }
    }

    it('records no proof for a failed login (unknown user, wrong password, 429): the same proof then signs ada in', async () => {
      const { proofFor, login } = await start()
      const key = await newDpopKey()
      for (const failure of [
        { username: 'nobody', password: 'x' },
        { username: 'bob', password: 'wrong' },
      ]) {
        const dpop = await proofFor(key, '/login')
        const failed = await login(failure, dpop)
        expect(failed.status).toBe(401)
        expect(await errorOf(failed)).toBe('invalid_credentials')
        const ok = await login(ADA, dpop)
        expect(ok.status).toBe(200)
        expect(((await ok.json()) as Pair).token_type).toBe('DPoP')
      }
      // 'nobody' has failed once: four more, and the sixth attempt is refused by the rate limit.
      for (let i = 0; i < 4; i++)
        expect((await login({ username: 'nobody', password: 'x' })).status).toBe(401)
      const dpop = await proofFor(key, '/login')
      const limited = await login({ username: 'nobody', password: 'x' }, dpop)
      expect(limited.status).toBe(429)
      expect(await errorOf(limited)).toBe('rate_limited')
      expect((await login(ADA, dpop)).status).toBe(200)
    })

    it('records no proof for a login the daily budget refuses (429): the same proof then signs bob in', async () => {
      const clock = testClock()
      const { store } = stores.make(clock.now)
      const auth = createAuth({ secret: SECRET, dpop: true, now: clock.now, store, maxSessionsPerUser: 1 })
      const app = await serveAuth(framework, auth)
      opened.push(app)
      const url = (path: string) => `${app.url}/auth${path}`
      const key = await newDpopKey()
      const signIn = async (body: object, dpop: string) => postJson(url('/login'), body, { dpop })
      const proofNow = () => proof(key, 'POST', url('/login'), undefined, clock.now())
      // Ada's second login ends her first session (the cap is 1): her budget for today is spent.
      for (let i = 0; i < 2; i++) {
        clock.advance(1000)
        expect((await signIn(ADA, await proofNow())).status).toBe(200)
      }
      const dpop = await proofNow()
      const refused = await signIn(ADA, dpop)
      expect(refused.status).toBe(429)
      expect(await errorOf(refused)).toBe('rate_limited')
      expect((await signIn(BOB, dpop)).status).toBe(200)
    })

    it('never counts a burst of the right password as failures: after 12 logins at once, ada still signs in', async () => {
      const { login } = await start()
      const burst = await Promise.all(Array.from({ length: 12 }, () => login(ADA)))
      const statuses = burst.map((res) => res.status)
      expect(statuses.filter((status) => status === 200).length).toBeGreaterThanOrEqual(5)
      expect(statuses.every((status) => status === 200 || status === 429)).toBe(true)
      expect((await login(ADA)).status).toBe(200)
    })

    it('survives a flood of failed logins with fresh proofs: nothing recorded, the victim refreshes and logs out', async () => {
      // memoryStore: 320 entries for revocations and spent tokens, 50 for proofs (their own bound, maxProofs).
      const { prefix, url, proofFor, login } = await start({ maxEntries: 400, maxProofs: 50 })
      const proofKeys = async () =>
        ((await stores.client!.keys(`${prefix}*`)) as string[]).filter((k) =>
          k.slice(prefix.length).includes('dpop'),
        )
      // The victim signs in with a proof: an accepted proof IS recorded (on Redis, under a key naming it).
      const victimKey = await newDpopKey()
      const victim = await login(BOB, await proofFor(victimKey, '/login'))
      expect(victim.status).toBe(200)
      const { refresh_token } = (await victim.json()) as Pair
      if (stores.client) expect(await proofKeys()).toHaveLength(1)
      const key = await newDpopKey()
      const flood = kind === 'memory' ? 350 : 50
      const answers: number[] = []
      for (let sent = 0; sent < flood; sent += 25) {
        const batch = await Promise.all(
          Array.from({ length: Math.min(25, flood - sent) }, async (_, i) =>
            login(
              (sent + i) % 2 ? { username: 'nobody', password: 'x' } : { username: 'ada', password: 'guess' },
              await proofFor(key, '/login'),
            ),
          ),
        )
        answers.push(...batch.map((r) => r.status))
      }
      // The two usernames' five failures each, then the rate limit; never a store failure.
      expect(answers.filter((s) => s === 401)).toHaveLength(10)
      expect(answers.filter((s) => s === 429)).toHaveLength(flood - 10)
      if (stores.client) expect(await proofKeys()).toHaveLength(1)
      const refreshed = await postJson(
        url('/refresh'),
        { refresh_token },
        { dpop: await proofFor(victimKey, '/refresh') },
      )
      expect(refreshed.status).toBe(200)
      const next = (await refreshed.json()) as Pair
      const out = await postJson(
        url('/logout'),
        { refresh_token: next.refresh_token },
        { dpop: await proofFor(victimKey, '/logout') },
      )
      expect(out.status).toBe(204)
    })

    it('refuses a proof accepted once (jti replay)', async () => {
      const { proofFor, login } = await start()
      const dpop = await proofFor(await newDpopKey(), '/login')
      expect((await login(ADA, dpop)).status).toBe(200)
      const replay = await login(ADA, dpop)
      expect(replay.status).toBe(401)
      expect(await errorOf(replay)).toBe('invalid_dpop_proof')
    })

    it.each([
      [4, 200],
      [6, 401],
      [-59, 200],
      [-61, 401],
    ])('answers a proof whose iat is %i s from the server clock with %i', async (offset, status) => {
      const { proofFor, login } = await start()
      const res = await login(ADA, await proofFor(await newDpopKey(), '/login', offset))
      expect(res.status).toBe(status)
      if (status === 401) expect(await errorOf(res)).toBe('invalid_dpop_proof')
    })

    it.each([
      ['a garbage', false],
      ['a revoked', true],
    ])(
      'records no proof for a refresh with %s refresh token (401): the same proof then refreshes',
      async (_, revokedToken) => {
        const { auth, url, proofFor, login } = await start()
        const key = await newDpopKey()
        const live = (await (await login(ADA, await proofFor(key, '/login'))).json()) as Pair
        const dpop = await proofFor(key, '/refresh')
        if (revokedToken) {
          const ended = (await (await login(ADA, await proofFor(key, '/login'))).json()) as Pair
          await auth.revoke(ended.refresh_token)
          const revoked = await postJson(url('/refresh'), { refresh_token: ended.refresh_token }, { dpop })
          expect(revoked.status).toBe(401)
          expect(await errorOf(revoked)).toBe('token_revoked')
        } else {
          const garbage = await postJson(url('/refresh'), { refresh_token: 'garbage' }, { dpop })
          expect(garbage.status).toBe(401)
        }
        const ok = await postJson(url('/refresh'), { refresh_token: live.refresh_token }, { dpop })
        expect(ok.status).toBe(200)
        expect(((await ok.json()) as Pair).token_type).toBe('DPoP')
      },
    )
  })
})

// One account cannot hold the store. A user keeps at most
// `maxSessionsPerUser` sessions: a login past it ends the oldest (revoked, never just forgotten), an
// account whose logins end more than the cap in a day waits (429), concurrent logins cannot pass
// the cap, and `revokeSubject` forgets the records. Other users are never refused for it. Over real
// HTTP on Express, Fastify and Hono, with memoryStore and a real Redis; time is injected.
// (20 logins with a cap of 10, not spec-22's 30: the 21st would be the eviction budget's 429.)
import { afterEach, describe, expect, it } from 'vitest'
import { createAuth } from '../../../src/index.js'
import {
  claimsOf,
  errorOf,
  FRAMEWORKS,
  type Pair,
  postJson,
  SECRET,
  type Served,
  serveAuth,
} from '../invariants/app.js'
import { type MemoryBounds, STORES, testClock, useStores } from './stores.js'

const ADA = { username: 'ada', password: 'ada-password' }
const BOB = { username: 'bob', password: 'bob-password' }

interface Listed {
  sessions: { id: string; current: boolean }[]
  next_cursor: string | null
}

describe.each(STORES)('%s store', (kind) => {
  const stores = useStores(kind, 'cap')

  describe.each(FRAMEWORKS)('%s', (framework) => {
    const opened: Served[] = []
    afterEach(async () => {
      await Promise.all(opened.splice(0).map((app) => app.close()))
    })

    /** The routes on a fresh store; `maxSessionsPerUser` only when given (default 100). */
    const start = async (maxSessionsPerUser?: number, memory?: MemoryBounds) => {
      const clock = testClock()
      const { store } = stores.make(clock.now, memory)
      const cap = maxSessionsPerUser === undefined ? {} : { maxSessionsPerUser }
      const auth = createAuth({ secret: SECRET, now: clock.now, store, ...cap })
      const app = await serveAuth(framework, auth)
      opened.push(app)
      const url = (path: string) => `${app.url}/auth${path}`
      const login = (body: object) => postJson(url('/login'), body)
      /** A login one second after the last: the listing orders by login time. */
      const signIn = async (body: object): Promise<Pair> => {
        clock.advance(1000)
        const res = await login(body)
        expect(res.status).toBe(200)
        return (await res.json()) as Pair
      }
      const listed = async (accessToken: string): Promise<Listed> => {
        const res = await fetch(url('/sessions'), { headers: { authorization: `Bearer ${accessToken}` } })
        expect(res.status).toBe(200)
        return (await res.json()) as Listed
      }
      const me = (accessToken: string) =>
        fetch(url('/me'), { headers: { authorization: `Bearer ${accessToken}` } })
      const refresh = (refreshToken: string) => postJson(url('/refresh'), { refresh_token: refreshToken })
      return { clock, store, auth, login, signIn, listed, me, refresh }
    }

    /** Both tokens of an ended session answer 401 token_revoked. */
    const expectEnded = async (app: Awaited<ReturnType<typeof start>>, pair: Pair): Promise<void> => {
      const me = await app.me(pair.access_token)
      expect(me.status).toBe(401)
      expect(await errorOf(me)).toBe('token_revoked')
      const refreshed = await app.refresh(pair.refresh_token)
      expect(refreshed.status).toBe(401)
      expect(await errorOf(refreshed)).toBe('token_revoked')
    }

    it('keeps the 10 newest of 20 logins (maxSessionsPerUser 10): the 10 oldest end (401 token_revoked), bob signs in', async () => {
      const app = await start(10)
      const pairs: Pair[] = []
      for (let i = 0; i < 20; i++) pairs.push(await app.signIn(ADA))
      const newest = pairs.slice(10).reverse()
      const { sessions } = await app.listed(newest[0]!.access_token)
      expect(sessions.map((s) => s.id)).toEqual(newest.map((p) => claimsOf(p.access_token).fid))
      for (const pair of pairs.slice(0, 10)) await expectEnded(app, pair)
      expect((await app.me(newest[9]!.access_token)).status).toBe(200)
      expect((await app.login(BOB)).status).toBe(200)
    })

    it("never refuses bob for ada's 200 logins (memoryStore maxSessions 50, maxSessionsPerUser 10)", async () => {
      const app = await start(10, { maxSessions: 50 })
      const answers: number[] = []
      for (let sent = 0; sent < 200; sent += 20) {
        app.clock.advance(1000)
        const batch = await Promise.all(Array.from({ length: 20 }, () => app.login(ADA)))
        answers.push(...batch.map((r) => r.status))
      }
      // Answers are sign-ins or the account's own wait (its logins ended the cap's worth today).
      expect(answers.filter((s) => s !== 200 && s !== 429)).toEqual([])
      const bob = await app.signIn(BOB)
      expect((await app.listed(bob.access_token)).sessions).toHaveLength(1)
      expect((await app.auth.listSessions('u-ada')).length).toBeLessThanOrEqual(10)
    })

    it('makes an account that ended the cap’s worth of sessions today wait (maxSessionsPerUser 5: the 11th login is 429)', async () => {
      const app = await start(5)
      const pairs: Pair[] = []
      for (let i = 0; i < 10; i++) pairs.push(await app.signIn(ADA))
      const refused = await app.login(ADA)
      expect(refused.status).toBe(429)
      expect(await errorOf(refused)).toBe('rate_limited')
      expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0)
      for (const pair of pairs.slice(0, 5)) await expectEnded(app, pair)
      expect((await app.listed(pairs[9]!.access_token)).sessions).toHaveLength(5)
      const bob = await app.signIn(BOB)
      expect((await app.me(bob.access_token)).status).toBe(200)
    })

    it('lets 20 concurrent logins of one user leave at most 5 live sessions (maxSessionsPerUser 5), every other one revoked', async () => {
      const app = await start(5)
      app.clock.advance(1000)
      const answers = await Promise.all(Array.from({ length: 20 }, () => app.login(ADA)))
      expect(answers.filter((r) => r.status !== 200 && r.status !== 429).map((r) => r.status)).toEqual([])
      const pairs = await Promise.all(
        answers.filter((r) => r.status === 200).map(async (r) => (await r.json()) as Pair),
      )
      expect(pairs.length).toBeGreaterThanOrEqual(5)
      const kept = new Set((await app.auth.listSessions('u-ada')).map((s) => s.id))
      expect(kept.size).toBeLessThanOrEqual(5)
      const live: Pair[] = []
      for (const pair of pairs) {
        const me = await app.me(pair.access_token)
        if (me.status === 200) live.push(pair)
        else expect(await errorOf(me)).toBe('token_revoked')
      }
      expect(live.length).toBeLessThanOrEqual(5)
      expect(live.map((p) => claimsOf(p.access_token).fid).sort()).toEqual([...kept].sort())
    })

    it('forgets the records of a user signed out everywhere (revokeSubject): the listing and the store hold only the new session', async () => {
      const app = await start()
      for (let i = 0; i < 3; i++) await app.signIn(ADA)
      await app.auth.revokeSubject('u-ada')
      const fresh = await app.signIn(ADA)
      const fid = claimsOf(fresh.access_token).fid
      const { sessions } = await app.listed(fresh.access_token)
      expect(sessions.map((s) => [s.id, s.current])).toEqual([[fid, true]])
      // The store itself holds only the new record: the three earlier ones are forgotten.
      expect((await app.store.listSessions!('u-ada')).map((r) => r.id)).toEqual([fid])
    })
  })
})

// A bounded, paged session listing. `GET /auth/sessions?limit=`
// answers one page, newest login first, with a `next_cursor` to follow; a cursor or a limit the
// server did not give is 400 `invalid_request`; another user's session id is still 404 and ends
// nothing. Over real HTTP on Express, Fastify and Hono, with memoryStore and a real Redis; time is
// injected (a login a second, so the order is the login order).
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
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
import { STORES, testClock, useStores } from './stores.js'

interface Listed {
  sessions: { id: string; current: boolean }[]
  next_cursor: string | null
}

describe.each(STORES)('%s store', (kind) => {
  const stores = useStores(kind, 'paging')

  describe.each(FRAMEWORKS)('%s', (framework) => {
    const clock = testClock()
    let app: Served
    /** ada's 25 sessions, in login order. */
    const logins: Pair[] = []
    let bob: Pair
    const url = (path: string) => `${app.url}/auth${path}`
    const signIn = async (username: string): Promise<Pair> => {
      clock.advance(1000)
      const res = await postJson(url('/login'), { username, password: `${username}-password` })
      expect(res.status).toBe(200)
      return (await res.json()) as Pair
    }
    beforeAll(async () => {
      const auth = createAuth({ secret: SECRET, now: clock.now, store: stores.make(clock.now).store })
      app = await serveAuth(framework, auth)
      for (let i = 0; i < 25; i++) logins.push(await signIn('ada'))
      bob = await signIn('bob')
    })
    afterAll(() => app.close())

    const list = (query: string, token = logins[24]!.access_token) =>
      fetch(url(`/sessions${query}`), { headers: { authorization: `Bearer ${token}` } })
    const page = async (query: string): Promise<Listed> => {
      const res = await list(query)
      expect(res.status).toBe(200)
      return (await res.json()) as Listed
    }

    it('pages 25 sessions by 10, newest login first: 10, 10, then 5 with next_cursor null, none twice', async () => {
      const first = await page('?limit=10')
      expect(first.sessions).toHaveLength(10)
      expect(first.next_cursor).toEqual(expect.any(String))
      const second = await page(`?limit=10&cursor=${encodeURIComponent(first.next_cursor!)}`)
      expect(second.sessions).toHaveLength(10)
      expect(second.next_cursor).toEqual(expect.any(String))
      const third = await page(`?limit=10&cursor=${encodeURIComponent(second.next_cursor!)}`)
      expect(third.sessions).toHaveLength(5)
      expect(third.next_cursor).toBeNull()
      const ids = [...first.sessions, ...second.sessions, ...third.sessions].map((s) => s.id)
      expect(new Set(ids).size).toBe(25)
      expect(ids).toEqual(logins.map((p) => claimsOf(p.access_token).fid).reverse())
      expect(first.sessions[0]!.current).toBe(true)
    })

    it.each([
      ['a cursor it did not give', '?limit=10&cursor=not-a-cursor'],
      ['a cursor of another shape', `?cursor=${Buffer.from('{"at":1}').toString('base64url')}`],
      ['limit=0', '?limit=0'],
      ['limit=abc', '?limit=abc'],
      ['a negative limit', '?limit=-1'],
    ])('answers %s with 400 invalid_request', async (_, query) => {
      const res = await list(query)
      expect(res.status).toBe(400)
      expect(await errorOf(res)).toBe('invalid_request')
    })

    it("answers DELETE of another user's session with 404 and ends nothing", async () => {
      const bobs = claimsOf(bob.access_token).fid as string
      const res = await fetch(url(`/sessions/${bobs}`), {
        method: 'DELETE',
        headers: { authorization: `Bearer ${logins[0]!.access_token}` },
      })
      expect(res.status).toBe(404)
      expect(await errorOf(res)).toBe('session_not_found')
      const me = await fetch(url('/me'), { headers: { authorization: `Bearer ${bob.access_token}` } })
      expect(me.status).toBe(200)
      expect((await postJson(url('/refresh'), { refresh_token: bob.refresh_token })).status).toBe(200)
    })
  })
})

// Client secrets cannot be guessed without limit. Failed client
// authentication at /auth/token, /auth/revoke and /auth/introspect counts per address and per
// client id against `rateLimit.maxPerAddress`: past it, 429 with Retry-After, even for the right
// secret; 25 guesses at once get exactly the limit; unknown client ids count against the address;
// a public client (no secret) is never counted. Over real HTTP on Express, Fastify and Hono, with
// memoryStore and a real Redis.
import { afterEach, describe, expect, it } from 'vitest'
import { createAuth } from '../../../src/index.js'
import { basic, errorOf, FRAMEWORKS, postForm, SECRET, type Served, serveAuth } from '../invariants/app.js'
import { STORES, testClock, useStores } from './stores.js'

const BACKEND_SECRET = 'backend-secret-0123456789'
const RIGHT = basic('backend', BACKEND_SECRET)
const WRONG = basic('backend', 'not-the-secret-0123456')

/** Each endpoint, with a body it answers 200 once the client is authenticated. */
const ENDPOINTS = [
  ['/token', { grant_type: 'password', username: 'ada', password: 'ada-password' }],
  ['/revoke', { token: 'not-a-token' }],
  ['/introspect', { token: 'not-a-token' }],
] as const

describe.each(STORES)('%s store', (kind) => {
  const stores = useStores(kind, 'clients')

  describe.each(FRAMEWORKS)('%s', (framework) => {
    const opened: Served[] = []
    afterEach(async () => {
      await Promise.all(opened.splice(0).map((app) => app.close()))
    })

    /** The routes with `rateLimit: { maxPerAddress: limit }` on a fresh store. */
    const start = async (limit: number, trustProxy = false) => {
      const clock = testClock()
      const auth = createAuth({
        secret: SECRET,
        now: clock.now,
        store: stores.make(clock.now).store,
        clients: { backend: { secret: BACKEND_SECRET }, spa: {} },
      })
      const app = await serveAuth(framework, auth, { rateLimit: { maxPerAddress: limit }, trustProxy })
      opened.push(app)
      return (path: string, fields: Record<string, string>, headers: Record<string, string> = {}) =>
        postForm(`${app.url}/auth${path}`, fields, headers)
    }

    const expectLimited = (res: Response) => {
      expect(res.status).toBe(429)
      expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0)
    }

    it.each(ENDPOINTS)(
      '%s: 5 wrong secrets are 401 invalid_client, the 6th is 429, then the right one is 429 too',
      async (path, fields) => {
        const post = await start(5)
        expect((await post(path, fields, { authorization: RIGHT })).status).toBe(200)
        for (let i = 0; i < 5; i++) {
          const res = await post(path, fields, { authorization: WRONG })
          expect(res.status).toBe(401)
          expect(await errorOf(res)).toBe('invalid_client')
        }
        expectLimited(await post(path, fields, { authorization: WRONG }))
        expectLimited(await post(path, fields, { authorization: RIGHT }))
      },
    )

    it('answers 25 wrong secrets sent at once (limit 10) with exactly 10 × 401 and 15 × 429', async () => {
      const post = await start(10)
      const answers = await Promise.all(
        Array.from({ length: 25 }, () => post('/token', ENDPOINTS[0][1], { authorization: WRONG })),
      )
      const statuses = answers.map((r) => r.status)
      expect(statuses.filter((s) => s === 401)).toHaveLength(10)
      expect(statuses.filter((s) => s === 429)).toHaveLength(15)
    })

    it('counts unknown client ids against the address', async () => {
      const post = await start(5)
      for (let i = 0; i < 5; i++) {
        const res = await post(
          '/introspect',
          { token: 'x' },
          { authorization: basic(`guess-${i}`, 'secret') },
        )
        expect(res.status).toBe(401)
        expect(await errorOf(res)).toBe('invalid_client')
      }
      expectLimited(await post('/introspect', { token: 'x' }, { authorization: RIGHT }))
    })

    it('counts wrong secrets per client id too: from a new address each time (trustProxy), the 6th is 429', async () => {
      const post = await start(5, true)
      const from = (i: number) => ({ 'x-forwarded-for': `203.0.${i}.7` })
      for (let i = 0; i < 5; i++)
        expect((await post('/introspect', { token: 'x' }, { authorization: WRONG, ...from(i) })).status).toBe(
          401,
        )
      expectLimited(await post('/introspect', { token: 'x' }, { authorization: WRONG, ...from(5) }))
      expectLimited(await post('/introspect', { token: 'x' }, { authorization: RIGHT, ...from(6) }))
    })

    it('never counts a public client: 10 refusals of spa at /introspect are 401, and backend still gets in', async () => {
      const post = await start(5)
      for (let i = 0; i < 10; i++) {
        const res = await post('/introspect', { token: 'x', client_id: 'spa' })
        expect(res.status).toBe(401)
        expect(await errorOf(res)).toBe('invalid_client')
      }
      const res = await post('/introspect', { token: 'x' }, { authorization: RIGHT })
      expect(res.status).toBe(200)
      expect(await res.json()).toEqual({ active: false })
    })
  })
})

/**
 * The same request many times at once, over real HTTP on every framework, with the memory store
 * and a real Redis: the login limit and refresh rotation must hold under concurrency.
 */
import { createClient } from 'redis'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import type { TokenStore } from '../../src/index.js'
import { redisStore } from '../../src/stores/redis/index.js'
import { makeAuth, type RunningApp, startApp } from '../adapters/apps.js'

const url = inject('redisUrl')
const FRAMEWORKS = ['express', 'fastify', 'hono'] as const
const STORES = url ? (['memory', 'redis'] as const) : (['memory'] as const)
const json = { 'content-type': 'application/json' }
const runId = Math.random().toString(36).slice(2)

describe.each(STORES)('%s store', (kind) => {
  const client = kind === 'redis' ? createClient({ url: url! }) : undefined
  client?.on('error', () => {})
  beforeAll(async () => {
    await client?.connect()
  })
  afterAll(async () => {
    await client?.quit()
  })
  const storeFor = (name: string): TokenStore | undefined =>
    client ? redisStore({ client, prefix: `tw-races:${runId}:${name}:`, onWarning: () => {} }) : undefined

  describe.each(FRAMEWORKS)('%s', (framework) => {
    let app: RunningApp
    const auth = makeAuth(kind === 'redis' ? { store: storeFor(framework)! } : {})
    beforeAll(async () => {
      app = await startApp(framework, auth)
    })
    afterAll(async () => app.close())
    const post = (path: string, body: unknown) =>
      fetch(app.url + path, { method: 'POST', headers: json, body: JSON.stringify(body) })

    it('answers 25 simultaneous wrong passwords with exactly 3 × 401 and 22 × 429', async () => {
      const answers = await Promise.all(
        Array.from({ length: 25 }, () => post('/auth/login', { username: 'bob', password: 'nope' })),
      )
      const statuses = answers.map((r) => r.status)
      expect(statuses.filter((s) => s === 401)).toHaveLength(3)
      expect(statuses.filter((s) => s === 429)).toHaveLength(22)
      expect((await post('/auth/login', { username: 'bob', password: 'bob-password' })).status).toBe(429)
    })

    it('lets 30 simultaneous refreshes of one token rotate at most 3 times and revokes the session', async () => {
      const session = (await (
        await post('/auth/login', { username: 'ada', password: 'ada-password' })
      ).json()) as {
        refresh_token: string
      }
      const answers = await Promise.all(
        Array.from({ length: 30 }, () => post('/auth/refresh', { refresh_token: session.refresh_token })),
      )
      const ok = answers.filter((r) => r.status === 200)
      expect(ok.length).toBeGreaterThanOrEqual(1)
      expect(ok.length).toBeLessThanOrEqual(3)
      for (const r of ok) {
        const pair = (await r.json()) as { access_token: string }
        const me = await fetch(`${app.url}/api/me`, {
          headers: { authorization: `Bearer ${pair.access_token}` },
        })
        expect(me.status).toBe(401)
      }
    })
  })
})

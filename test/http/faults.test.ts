/**
 * Store faults with a real redis-server (started here, one per scenario): a store that refuses
 * writes (out of memory, a read-only replica) refuses the login — never checks a password whose
 * attempt could not be counted — and a refresh whose spend timed out on our side but executed on
 * the server can be retried without being taken for theft.
 */
import { createClient } from 'redis'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { type AuthEvent, createAuth, createAuthRoutes, type TokenStore } from '../../src/index.js'
import { hashPassword } from '../../src/password/index.js'
import { redisStore } from '../../src/stores/redis/index.js'
import { codeOf, SECRET } from '../helpers.js'
import { type RedisServer, startRedis } from '../setup/redis.js'

const FAST = { memoryCost: 1024, timeCost: 1 }
const quiet = () => {}

async function connect(server: RedisServer) {
  const client = createClient({ url: server.url, disableOfflineQueue: true })
  client.on('error', () => {})
  await client.connect()
  return client
}

async function loginRoutes(store: TokenStore) {
  const user = { id: 'u1', passwordHash: await hashPassword('right-password', FAST) }
  let checks = 0
  const auth = createAuth({ secret: SECRET, store })
  const routes = createAuthRoutes(auth, {
    findUser: (name) => (name === 'ada' ? user : null),
    passwordHashOf: (u) => {
      checks++
      return u.passwordHash
    },
    passwordOptions: FAST,
  })
  const login = async (password: string) =>
    (await routes.handle({
      method: 'POST',
      path: '/login',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'ada', password }),
      address: '203.0.113.9',
    }))!.status
  return { login, checks: () => checks }
}

describe.skipIf(!inject('redisUrl'))('login and refresh against a misbehaving Redis', () => {
  let primary: RedisServer
  let replica: RedisServer
  beforeAll(async () => {
    primary = await startRedis()
    replica = await startRedis({
      config: { replicaof: ['127.0.0.1', String(primary.port)], save: "''", appendonly: 'no' },
    })
  })
  afterAll(async () => {
    await replica?.stop()
    await primary?.stop()
  })

  it('refuses every login with 503 while Redis refuses writes (OOM), the right password too', async () => {
    const client = await connect(primary)
    try {
      const { login, checks } = await loginRoutes(redisStore({ client, prefix: 'oom:', onWarning: quiet }))
      expect(await login('wrong')).toBe(401)
      await client.sendCommand(['CONFIG', 'SET', 'maxmemory', '1'])
      expect(await login('wrong')).toBe(503)
      expect(await login('right-password')).toBe(503)
      expect(checks()).toBe(1)
      await client.sendCommand(['CONFIG', 'SET', 'maxmemory', '0'])
      expect(await login('right-password')).toBe(200)
    } finally {
      await client.sendCommand(['CONFIG', 'SET', 'maxmemory', '0']).catch(() => {})
      await client.quit()
    }
  })

  it('refuses every login with 503 against a read-only replica', async () => {
    const client = await connect(replica)
    try {
      const { login, checks } = await loginRoutes(redisStore({ client, prefix: 'ro:', onWarning: quiet }))
      expect(await login('right-password')).toBe(503)
      expect(await login('wrong')).toBe(503)
      expect(checks()).toBe(0)
    } finally {
      await client.quit()
    }
  })

  it('accepts the retry of a refresh whose spend timed out on our side but ran on the server', async () => {
    const client = await connect(primary)
    const admin = await connect(primary)
    try {
      const inner = redisStore({ client, prefix: 'pause:', timeoutMs: 300, onWarning: quiet })
      let armed = false
      // The real store; the only thing added is WHEN Redis pauses: right before the spend (one
      // EVAL), so it is the call that times out here and runs there later.
      const store: TokenStore = {
        ...inner,
        async spendRefresh(spend) {
          if (armed) {
            armed = false
            await admin.sendCommand(['CLIENT', 'PAUSE', '700', 'WRITE'])
          }
          return inner.spendRefresh!(spend)
        },
      }
      const events: AuthEvent[] = []
      const auth = createAuth({ secret: SECRET, store, onEvent: (e) => void events.push(e) })
      const pair = await auth.issueTokens({ sub: 'u1' })
      armed = true
      expect(await codeOf(auth.refresh(pair.refreshToken))).toBe('store_unavailable')
      await new Promise((resolve) => setTimeout(resolve, 900)) // the pause ends; Redis runs the spend
      // The family's spend state exists: the spend ran on the server.
      expect(await client.sendCommand(['KEYS', 'pause:*:f:*'])).toHaveLength(1)
      const retried = await auth.refresh(pair.refreshToken)
      expect((await auth.verifyAccessToken(retried.accessToken)).sub).toBe('u1')
      expect(events.filter((e) => e.type === 'refresh_reused')).toHaveLength(0)
    } finally {
      await admin.quit()
      await client.quit()
    }
  })
})

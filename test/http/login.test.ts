import { describe, expect, it } from 'vitest'
import { clientAddress, rateLimitAddress } from '../../src/http/address.js'
import {
  type AuthEvent,
  createAuth,
  createAuthRoutes,
  memoryStore,
  type TokenStore,
} from '../../src/index.js'
import { hashPassword, needsRehash } from '../../src/password/index.js'

const FAST = { memoryCost: 1024, timeCost: 1 }
const json = { 'content-type': 'application/json' }

async function setup(options: { weakHash?: boolean; store?: TokenStore } = {}) {
  let now = Date.UTC(2026, 0, 1)
  const events: AuthEvent[] = []
  const store = options.store ?? memoryStore({ now: () => now })
  const auth = createAuth({
    secret: 'login-test-secret-at-least-32-bytes!!',
    store,
    now: () => now,
    onEvent: (e) => void events.push(e),
  })
  const user = {
    id: 'u1',
    passwordHash: await hashPassword(
      'right-password',
      options.weakHash ? { memoryCost: 512, timeCost: 1 } : FAST,
    ),
  }
  const updates: string[] = []
  let passwordChecks = 0
  const routes = createAuthRoutes(auth, {
    findUser: (name) => (name === 'ada' || name === 'ada@example.com' ? user : null),
    passwordHashOf: (u) => {
      passwordChecks++
      return u.passwordHash
    },
    passwordOptions: FAST,
    updatePasswordHash: (_u, hash) => void updates.push(hash),
    rateLimit: { maxPerUsername: 3, maxPerAddress: 5, window: '1m' },
  })
  const login = (username: string, password: string, address: string | null = '203.0.113.7') =>
    routes.handle({
      method: 'POST',
      path: '/login',
      headers: json,
      body: JSON.stringify({ username, password }),
      address: address ?? undefined,
    })
  return {
    routes,
    login,
    events,
    updates,
    checks: () => passwordChecks,
    advance: (s: number) => (now += s * 1000),
  }
}

describe('login hardening', () => {
  it('gives the same answer for an unknown user and a wrong password', async () => {
    const { login } = await setup()
    const unknown = await login('nobody', 'x')
    const wrong = await login('ada', 'x')
    expect(unknown!.status).toBe(401)
    expect(unknown!.body).toEqual(wrong!.body)
    expect(unknown!.headers).toEqual(wrong!.headers)
  })

  it('locks a username after too many failures (429 + Retry-After), even for the right password, until the window ends', async () => {
    const { login, advance, events } = await setup()
    for (let i = 0; i < 3; i++) expect((await login('ada', 'wrong'))!.status).toBe(401)
    const locked = await login('ada', 'right-password')
    expect(locked!.status).toBe(429)
    expect(locked!.headers['Retry-After']).toBe('60')
    expect(events.some((e) => e.type === 'rate_limited')).toBe(true)
    advance(61)
    expect((await login('ada', 'right-password'))!.status).toBe(200)
  })

  it('limits an address spraying many usernames; a success does not unlock it', async () => {
    const { login } = await setup()
    for (let i = 0; i < 4; i++) await login(`user${i}`, 'Password1')
    expect((await login('ada', 'right-password'))!.status).toBe(200)
    await login('user9', 'Password1')
    expect((await login('user10', 'Password1'))!.status).toBe(429)
  })

  it('counts IPv6 clients per /64: rotating addresses inside one /64 shares one limit', async () => {
    expect(rateLimitAddress('2001:db8:1:2:aaaa::1')).toBe(rateLimitAddress('2001:db8:1:2:ffff:1:2:3'))
    expect(rateLimitAddress('2001:db8:1:2::1')).not.toBe(rateLimitAddress('2001:db8:1:3::1'))
    expect(rateLimitAddress('::ffff:192.0.2.1')).toBe('192.0.2.1')
    const { login } = await setup()
    for (let i = 0; i < 5; i++) await login(`u${i}`, 'x', `2001:db8:1:2::${i + 1}`)
    expect((await login('u9', 'x', '2001:db8:1:2:ffff::9'))!.status).toBe(429)
    expect((await login('u9', 'x', '2001:db8:1:3::9'))!.status).toBe(401)
  })

  it('re-hashes a weaker hash on a successful login through updatePasswordHash', async () => {
    const { login, updates } = await setup({ weakHash: true })
    expect((await login('ada', 'right-password'))!.status).toBe(200)
    expect(updates).toHaveLength(1)
    expect(needsRehash(updates[0]!, { memoryCost: 1024, timeCost: 1 })).toBe(false)
  })

  it('reports login events with username and address but never the password or a token', async () => {
    const { login, events } = await setup()
    const ok = await login('ada', 'right-password')
    await login('ada', 'wrong-password')
    const text = JSON.stringify(events)
    expect(events.map((e) => e.type)).toEqual(expect.arrayContaining(['login_succeeded', 'login_failed']))
    expect(text).toContain('203.0.113.7')
    expect(text).not.toContain('right-password')
    expect(text).not.toContain('wrong-password')
    expect(text).not.toContain((ok!.body as { access_token: string }).access_token)
  })

  it('uses the socket address unless trustProxy says how many proxies to believe', () => {
    const headers = { 'x-forwarded-for': '198.51.100.1, 203.0.113.50' }
    expect(clientAddress({ headers, address: '10.0.0.1' }, undefined)).toBe('10.0.0.1')
    expect(clientAddress({ headers, address: '10.0.0.1' }, true)).toBe('203.0.113.50')
    expect(clientAddress({ headers, address: '10.0.0.1' }, 2)).toBe('198.51.100.1')
    expect(clientAddress({ headers: {}, address: '10.0.0.1' }, 1)).toBe('10.0.0.1')
  })

  it('reserves the attempt before hashing: 30 wrong passwords at once get exactly 3 password checks', async () => {
    const { login, checks } = await setup()
    const answers = await Promise.all(Array.from({ length: 30 }, () => login('ada', 'wrong')))
    const statuses = answers.map((a) => a!.status)
    expect(statuses.filter((s) => s === 401)).toHaveLength(3)
    expect(statuses.filter((s) => s === 429)).toHaveLength(27)
    expect(checks()).toBe(3)
    expect((await login('ada', 'right-password'))!.status).toBe(429)
  })

  it('counts "alice", " ALICE", "alice\t" and the full-width form against one limit', async () => {
    const { login } = await setup()
    for (const name of ['ada', ' ADA', 'ada\t']) expect((await login(name, 'wrong'))!.status).toBe(401)
    for (const name of ['ada', 'Ada ', '\uff41\uff44\uff41'])
      expect((await login(name, 'x'))!.status).toBe(429)
  })

  it('counts an account against its user id too: its username and its e-mail share one limit', async () => {
    const { login } = await setup()
    for (let i = 0; i < 2; i++) await login('ada', 'wrong')
    await login('ada@example.com', 'wrong')
    expect((await login('ada@example.com', 'right-password'))!.status).toBe(429)
  })

  it('refuses the login (503) when the store cannot count the attempt — also for the right password', async () => {
    const inner = memoryStore()
    const store: TokenStore = {
      ...inner,
      isRevoked: (ids, cutoff) => inner.isRevoked(ids, cutoff),
      hit: () => Promise.reject(new Error('OOM command not allowed when used memory > maxmemory')),
    }
    const { login, checks } = await setup({ store })
    expect((await login('ada', 'wrong'))!.status).toBe(503)
    expect((await login('ada', 'right-password'))!.status).toBe(503)
    expect(checks()).toBe(0)
  })

  it('without a client address limits per username only, and warns once', async () => {
    const { login, events } = await setup()
    for (let i = 0; i < 4; i++) await login(`user${i}`, 'x', null)
    for (let i = 0; i < 3; i++) await login('ada', 'wrong', null)
    expect((await login('ada', 'right-password', null))!.status).toBe(429)
    expect((await login('user9', 'x', null))!.status).toBe(401) // no shared "unknown" bucket
    expect(events.filter((e) => e.type === 'warning')).toHaveLength(1)
  })

  it('gives a successful login its reservation back', async () => {
    const { login } = await setup()
    for (let i = 0; i < 5; i++) expect((await login('ada', 'right-password'))!.status).toBe(200)
  })

  it('creates no username counters for an address past its limit (one client cannot fill the store)', async () => {
    const store = memoryStore({ maxEntries: 1000, maxCounters: 20 })
    const { login } = await setup({ store })
    for (let i = 0; i < 5; i++) await login(`user${i}`, 'x')
    for (let i = 5; i < 60; i++) expect((await login(`user${i}`, 'x'))!.status).toBe(429)
    expect((await login('ada', 'right-password', '198.51.100.20'))!.status).toBe(200) // another client still logs in
  })
})

import { describe, expect, it } from 'vitest'
import {
  type AuthEvent,
  clientAddress,
  createAuth,
  createAuthRoutes,
  memoryStore,
  rateLimitAddress,
} from '../../src/index.js'
import { hashPassword, needsRehash } from '../../src/password/index.js'

const FAST = { memoryCost: 1024, timeCost: 1 }
const json = { 'content-type': 'application/json' }

async function setup(options: { weakHash?: boolean } = {}) {
  let now = Date.UTC(2026, 0, 1)
  const events: AuthEvent[] = []
  const store = memoryStore({ now: () => now })
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
  const routes = createAuthRoutes(auth, {
    findUser: (name) => (name === 'ada' ? user : null),
    passwordOptions: FAST,
    updatePasswordHash: (_u, hash) => void updates.push(hash),
    rateLimit: { maxPerUsername: 3, maxPerAddress: 5, window: '1m' },
  })
  const login = (username: string, password: string, address = '203.0.113.7') =>
    routes.handle({
      method: 'POST',
      path: '/login',
      headers: json,
      body: JSON.stringify({ username, password }),
      address,
    })
  return { routes, login, events, updates, advance: (s: number) => (now += s * 1000) }
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
})

import { afterAll, describe, expect, it } from 'vitest'
import { type RunningDemo, startDemo } from './demo-server.js'

describe('npm start', () => {
  let demo: RunningDemo | undefined
  afterAll(async () => demo?.stop())

  it('comes up within a few seconds and answers /auth/login', async () => {
    const started = Date.now()
    demo = await startDemo({ viaNpm: true })
    const elapsed = Date.now() - started
    const res = await fetch(`${demo.url}/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'alice', password: 'alice-password' }),
    })
    expect(res.status).toBe(200)
    const body = (await res.json()) as Record<string, unknown>
    expect(body.token_type).toBe('bearer')
    // tw_access, or __Host-tw_access for Secure cookies (tokenward's default names).
    expect(
      res.headers.getSetCookie().some((c) => /^(__Host-)?tw_access=/.test(c) && /HttpOnly/i.test(c)),
    ).toBe(true)
    expect(demo.output()).toContain('alice / alice-password')
    expect(demo.output()).toContain('admin / admin-password')
    // Not a timing assertion on the library: a generous bound on start-up, as the issue asks.
    expect(elapsed).toBeLessThan(30_000)
    // The test's own limit is above that bound (npm start may rebuild dist/ first), so a slow start
    // fails the assertion above with its time, not a bare timeout.
  }, 60_000)

  it('refuses a wrong password with 401 invalid_credentials', async () => {
    const res = await fetch(`${demo!.url}/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'alice', password: 'nope' }),
    })
    expect(res.status).toBe(401)
    expect(((await res.json()) as { error: string }).error).toBe('invalid_credentials')
  })
})

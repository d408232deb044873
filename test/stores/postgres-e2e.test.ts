// Two application instances on one PostgreSQL, through the public API only: instance A on a pg
// Pool, instance B on postgres.js, each its own postgresStore on the same schema (verdict caches
// on). What one instance does, the other honours on its next request: refresh reuse, the session
// cap, "sign out other devices", "log out everywhere", and the login rate limit under a burst.
import { afterEach, beforeAll, describe, expect, inject, it } from 'vitest'
import { authHandler } from '../../src/adapters/fetch.js'
import { AuthError, createAuth } from '../../src/index.js'
import { Cleanup, clientOf, type Kind, migrated, schemaName, storeOf, until } from './postgres-helpers.js'

const url = inject('postgresUrl')
const SECRET = 'postgres-e2e-secret-at-least-32-bytes-long'
const cleanup = new Cleanup()
afterEach(() => cleanup.run())

const outcome = (work: Promise<unknown>) =>
  work.then(
    () => 'ok',
    (err: unknown) => (err instanceof AuthError ? err.code : `thrown: ${String(err)}`),
  )

describe.skipIf(!url)('postgresStore: two instances, end to end', () => {
  const schema = schemaName('e2e')
  beforeAll(() => migrated(url!, schema))

  const instance = (kind: Kind, options: { maxSessionsPerUser?: number; reuseGrace?: number } = {}) => {
    const store = storeOf(clientOf(kind, url!, cleanup), schema, cleanup)
    return { store, auth: createAuth({ secret: SECRET, store, ...options }) }
  }
  const pair = () => [instance('pg'), instance('postgres.js')] as const

  it('a refresh token spent on A and replayed on B (reuseGrace 0) is reuse: the family dies on both', async () => {
    const [a, b] = [instance('pg', { reuseGrace: 0 }), instance('postgres.js', { reuseGrace: 0 })]
    const login = await a.auth.issueTokens({ sub: 'replay' })
    const next = await a.auth.refresh(login.refreshToken)
    await b.auth.verifyAccessToken(next.accessToken) // B knows the new token (cached)
    expect(await outcome(b.auth.refresh(login.refreshToken))).toBe('refresh_token_reused')
    await until(
      async () => (await outcome(a.auth.refresh(next.refreshToken))) === 'token_revoked',
      'A to refuse',
    )
    expect(await outcome(b.auth.verifyAccessToken(next.accessToken))).toBe('token_revoked')
  })

  it('50 concurrent refreshes of one token on both instances (reuseGrace 0): exactly one succeeds, and the family dies', async () => {
    const [a, b] = [instance('pg', { reuseGrace: 0 }), instance('postgres.js', { reuseGrace: 0 })]
    const login = await a.auth.issueTokens({ sub: 'burst' })
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        (i % 2 ? a : b).auth.refresh(login.refreshToken).then(
          (r) => r,
          (e) => e,
        ),
      ),
    )
    const won = results.filter((r) => !(r instanceof Error))
    expect(won).toHaveLength(1)
    // The others: reuse, or — once reuse detection has revoked the family — revoked.
    const codes = new Set(results.filter((r) => r instanceof AuthError).map((e) => (e as AuthError).code))
    expect([...codes].every((c) => c === 'refresh_token_reused' || c === 'token_revoked')).toBe(true)
    expect(codes.has('refresh_token_reused')).toBe(true)
    expect(await outcome(a.auth.refresh((won[0] as { refreshToken: string }).refreshToken))).toBe(
      'token_revoked',
    )
  })

  // Cap 4 for 8 logins: an account may end at most `maxSessionsPerUser` sessions a day by logging
  // in, and a login is admitted when fewer have ended so far. Whatever the order, a login is
  // admitted after at most 8 − 1 − 4 = 3 < 4 ended by the others, so none is refused — with cap 3
  // a login admitted late could see 3 or 4 ended and be (rightly) refused with 429: a flaky test.
  it('maxSessionsPerUser holds across instances: 8 concurrent logins, cap 4 → 4 sessions; the ended ones are refused on both', async () => {
    const [a, b] = [
      instance('pg', { maxSessionsPerUser: 4 }),
      instance('postgres.js', { maxSessionsPerUser: 4 }),
    ]
    const logins = await Promise.all(
      Array.from({ length: 8 }, (_, i) => (i % 2 ? a : b).auth.issueTokens({ sub: 'capped' })),
    )
    const listed = await b.auth.listSessions('capped')
    expect(listed).toHaveLength(4)
    expect((await a.auth.listSessions('capped')).map((s) => s.id).sort()).toEqual(
      listed.map((s) => s.id).sort(),
    )
    const live = new Set(listed.map((s) => s.id))
    for (const login of logins)
      for (const instance of [a, b]) {
        if (live.has(login.sessionId)) {
          expect(await outcome(instance.auth.verifyAccessToken(login.accessToken))).toBe('ok')
          continue
        }
        // Ended by a save on either instance: refused once its NOTIFY has arrived (milliseconds).
        await until(
          async () => (await outcome(instance.auth.verifyAccessToken(login.accessToken))) === 'token_revoked',
          'an ended session to be refused',
        )
      }
  })

  it('sign out other devices on B, then log out everywhere on A: the other instance refuses at once', async () => {
    const [a, b] = pair()
    const logins = await Promise.all(Array.from({ length: 4 }, () => a.auth.issueTokens({ sub: 'devices' })))
    for (const login of logins) await b.auth.verifyAccessToken(login.accessToken) // known to B's cache
    const keep = logins[0]!
    const ended = await b.auth.revokeOtherSessions('devices', keep.sessionId)
    expect(ended.sort()).toEqual(
      logins
        .slice(1)
        .map((l) => l.sessionId)
        .sort(),
    )
    for (const login of logins.slice(1))
      await until(
        async () => (await outcome(a.auth.verifyAccessToken(login.accessToken))) === 'token_revoked',
        'A to refuse an ended session',
      )
    expect(await outcome(a.auth.verifyAccessToken(keep.accessToken))).toBe('ok')
    expect((await a.auth.listSessions('devices')).map((s) => s.id)).toEqual([keep.sessionId])
    await a.auth.revokeSubject('devices')
    await until(
      async () => (await outcome(b.auth.verifyAccessToken(keep.accessToken))) === 'token_revoked',
      'B to refuse after log out everywhere',
    )
    expect(await a.auth.listSessions('devices')).toEqual([])
  })

  it('25 wrong passwords at once, split over both instances: exactly maxPerUsername are checked', async () => {
    const [a, b] = pair()
    let checked = 0
    const options = {
      verifyCredentials: async () => {
        checked++
        return null
      },
      rateLimit: { maxPerUsername: 5, maxPerAddress: 100 },
    }
    const handlers = [authHandler(a.auth, options), authHandler(b.auth, options)]
    const login = (i: number) =>
      handlers[i % 2]!(
        new Request('http://app.test/auth/login', {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ username: 'victim', password: `guess-${i}` }),
        }),
        '203.0.113.7',
      )
    const statuses = (await Promise.all(Array.from({ length: 25 }, (_, i) => login(i)))).map((r) => r!.status)
    expect(checked).toBe(5)
    expect(statuses.filter((s) => s === 401)).toHaveLength(5)
    expect(statuses.filter((s) => s === 429)).toHaveLength(20)
  })
})

// Grace without forks (S1, S2). A presentation of a spent refresh token inside
// `reuseGrace` (default 10 s) is a retry of the same place in the session's chain: it re-mints that
// place (claim `gen`), it never starts a second chain, and whoever spends a place second trips reuse
// detection. Over real HTTP on Express, Fastify and Hono; time is injected.
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
  T0,
} from './app.js'

const AFTER_GRACE = 11_000

describe.each(FRAMEWORKS)('%s: a grace retry continues the same chain', (framework) => {
  let clock = T0
  const auth = createAuth({ secret: SECRET, now: () => clock })
  let app: Served
  beforeAll(async () => {
    app = await serveAuth(framework, auth)
  })
  afterAll(() => app.close())

  const login = async (): Promise<Pair> => {
    const res = await postJson(`${app.url}/auth/login`, { username: 'ada', password: 'ada-password' })
    expect(res.status).toBe(200)
    return (await res.json()) as Pair
  }
  const refresh = (refreshToken: string) =>
    postJson(`${app.url}/auth/refresh`, { refresh_token: refreshToken })
  const rotated = async (refreshToken: string): Promise<Pair> => {
    const res = await refresh(refreshToken)
    expect(res.status).toBe(200)
    return (await res.json()) as Pair
  }
  const me = (accessToken: string) =>
    fetch(`${app.url}/auth/me`, { headers: { authorization: `Bearer ${accessToken}` } })

  it("a thief's replay inside the grace window continues the same chain: the second spender trips reuse detection", async () => {
    const r0 = (await login()).refresh_token
    const client1 = await rotated(r0)
    const thief1 = await rotated(r0) // within the window: a retry of R0, answered with R1's place
    clock += AFTER_GRACE
    const client2 = await rotated(client1.refresh_token)
    clock += AFTER_GRACE
    // R1' is R1's place, spent by the client a window ago: reuse, and the session ends.
    const stolen = await refresh(thief1.refresh_token)
    expect(stolen.status).toBe(401)
    expect(await errorOf(stolen)).toBe('refresh_token_reused')
    const afterwards = await refresh(client2.refresh_token)
    expect(afterwards.status).toBe(401)
    expect(await errorOf(afterwards)).toBe('token_revoked')
    const access = await me(client2.access_token)
    expect(access.status).toBe(401)
    expect(await errorOf(access)).toBe('token_revoked')
  })

  it("a thief who rotates first moves the chain past R0: the client's late R0 is reuse and the thief's chain dies", async () => {
    const r0 = (await login()).refresh_token
    const thief1 = await rotated(r0)
    const thief2 = await rotated(thief1.refresh_token)
    // Still inside R0's window, but R0's successor is spent: an older place than the spent one.
    const late = await refresh(r0)
    expect(late.status).toBe(401)
    expect(await errorOf(late)).toBe('refresh_token_reused')
    expect((await refresh(thief2.refresh_token)).status).toBe(401)
    expect((await me(thief2.access_token)).status).toBe(401)
  })

  it('three concurrent refreshes of one token are one rotation and two retries of one place: after the window the second spender is reuse', async () => {
    const r0 = (await login()).refresh_token
    const answers = await Promise.all([refresh(r0), refresh(r0), refresh(r0)])
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200])
    const pairs = (await Promise.all(answers.map((a) => a.json()))) as Pair[]
    clock += AFTER_GRACE
    expect((await refresh(pairs[0]!.refresh_token)).status).toBe(200)
    clock += AFTER_GRACE
    const second = await refresh(pairs[1]!.refresh_token)
    expect(second.status).toBe(401)
    expect(await errorOf(second)).toBe('refresh_token_reused')
  })

  it('twenty concurrent refreshes of one token: at most three answered, then the family is revoked and every access token they returned is refused', async () => {
    const r0 = (await login()).refresh_token
    const answers = await Promise.all(Array.from({ length: 20 }, () => refresh(r0)))
    const ok = answers.filter((a) => a.status === 200)
    expect(ok.length).toBeGreaterThanOrEqual(1)
    expect(ok.length).toBeLessThanOrEqual(3)
    // The first spender after the retries trips reuse; one that arrives after the family was
    // revoked finds it revoked.
    const refused = answers.filter((a) => a.status !== 200)
    expect(refused.map((a) => a.status)).toEqual(refused.map(() => 401))
    const codes = await Promise.all(refused.map(errorOf))
    expect(codes).toContain('refresh_token_reused')
    for (const code of codes) expect(['refresh_token_reused', 'token_revoked']).toContain(code)
    for (const pair of (await Promise.all(ok.map((a) => a.json()))) as Pair[]) {
      expect((await me(pair.access_token)).status).toBe(401)
      expect((await refresh(pair.refresh_token)).status).toBe(401)
    }
  })

  it('every refresh token names its place (gen): the login 0, a rotation n + 1, a retry the same n + 1 in the same session', async () => {
    const r0 = (await login()).refresh_token
    const r1 = (await rotated(r0)).refresh_token
    const retry = (await rotated(r0)).refresh_token
    const r2 = (await rotated(r1)).refresh_token
    expect(claimsOf(r0).gen).toBe(0)
    expect(claimsOf(r1).gen).toBe(1)
    expect(claimsOf(retry).gen).toBe(1)
    expect(claimsOf(retry).fid).toBe(claimsOf(r1).fid)
    expect(claimsOf(r2).gen).toBe(2)
  })
})

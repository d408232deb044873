// OAuth clients and spent tokens (S2, S3). A spent refresh token
// introspects as inactive; a confidential client's refresh token is honoured only with that client's
// authentication, at /token and at /refresh, and a refusal spends nothing; a public client cannot
// introspect. Over real HTTP on Express, Fastify and Hono; time is injected.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createAuth } from '../../../src/index.js'
import {
  basic,
  errorOf,
  FRAMEWORKS,
  type Pair,
  postForm,
  postJson,
  SECRET,
  type Served,
  serveAuth,
  T0,
} from './app.js'

const AFTER_GRACE = 11_000
const BACKEND_SECRET = 'backend-secret-0123456789'
const BACKEND = basic('backend', BACKEND_SECRET)
const PASSWORD_GRANT = { grant_type: 'password', username: 'ada', password: 'ada-password' }

describe.each(FRAMEWORKS)('%s: clients and refresh tokens', (framework) => {
  let clock = T0
  const auth = createAuth({
    secret: SECRET,
    now: () => clock,
    clients: { backend: { secret: BACKEND_SECRET }, spa: {} },
  })
  let app: Served
  beforeAll(async () => {
    app = await serveAuth(framework, auth)
  })
  afterAll(() => app.close())

  const token = (fields: Record<string, string>, headers: Record<string, string> = {}) =>
    postForm(`${app.url}/auth/token`, fields, headers)
  const granted = async (
    fields: Record<string, string>,
    headers: Record<string, string> = {},
  ): Promise<Pair> => {
    const res = await token(fields, headers)
    expect(res.status).toBe(200)
    return (await res.json()) as Pair
  }
  const refreshGrant = (refreshToken: string, extra: Record<string, string> = {}) => ({
    grant_type: 'refresh_token',
    refresh_token: refreshToken,
    ...extra,
  })
  const introspect = (fields: Record<string, string>, headers: Record<string, string> = {}) =>
    postForm(`${app.url}/auth/introspect`, fields, headers)

  it('introspects a spent (rotated-away) refresh token as inactive, its successor as active (item 3)', async () => {
    const r0 = (await granted(PASSWORD_GRANT, { authorization: BACKEND })).refresh_token
    const r1 = (await granted(refreshGrant(r0), { authorization: BACKEND })).refresh_token
    const spent = await introspect({ token: r0 }, { authorization: BACKEND })
    expect(spent.status).toBe(200)
    expect(await spent.json()).toEqual({ active: false })
    const live = await introspect({ token: r1 }, { authorization: BACKEND })
    expect(live.status).toBe(200)
    expect(await live.json()).toMatchObject({ active: true, token_type: 'refresh_token' })
  })

  it("refuses a confidential client's refresh token without that client's authentication, at /token and at /refresh, and spends nothing (item 4)", async () => {
    const r0 = (await granted(PASSWORD_GRANT, { authorization: BACKEND })).refresh_token
    const anonymous = await token(refreshGrant(r0))
    expect(anonymous.status).toBe(401)
    expect(await errorOf(anonymous)).toBe('invalid_client')
    const json = await postJson(`${app.url}/auth/refresh`, { refresh_token: r0 })
    expect(json.status).toBe(401)
    expect(await errorOf(json)).toBe('invalid_client')
    // Past any grace window, so this only succeeds as the token's first presentation.
    clock += AFTER_GRACE
    const rightful = await token(refreshGrant(r0), { authorization: BACKEND })
    expect(rightful.status).toBe(200)
  })

  it("refreshes a public client's token with or without naming it, and refuses it to another client (item 4)", async () => {
    const s0 = (await granted({ ...PASSWORD_GRANT, client_id: 'spa' })).refresh_token
    const s1 = (await granted(refreshGrant(s0, { client_id: 'spa' }))).refresh_token
    const s2 = (await granted(refreshGrant(s1))).refresh_token
    const other = await token(refreshGrant(s2), { authorization: BACKEND })
    expect(other.status).toBe(400)
    expect(await errorOf(other)).toBe('invalid_grant')
    clock += AFTER_GRACE
    expect((await token(refreshGrant(s2, { client_id: 'spa' }))).status).toBe(200)
  })

  it('refuses introspection to a public client that only names itself (item 5)', async () => {
    const { access_token } = await granted(PASSWORD_GRANT, { authorization: BACKEND })
    const res = await introspect({ token: access_token, client_id: 'spa' })
    expect(res.status).toBe(401)
    expect(await errorOf(res)).toBe('invalid_client')
    const confidential = await introspect({ token: access_token }, { authorization: BACKEND })
    expect(await confidential.json()).toMatchObject({ active: true, sub: 'u-ada' })
  })
})

/**
 * The token, revocation and introspection endpoints against an OAuth client nobody here wrote
 * (simple-oauth2), over real HTTP on Express: every error is one it can read (RFC 6749 §5.2).
 */
import type { AddressInfo } from 'node:net'
import express from 'express'
import { ResourceOwnerPassword } from 'simple-oauth2'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { authRouter } from '../../src/adapters/express.js'
import { createAuth } from '../../src/index.js'
import { hashPassword } from '../../src/password/index.js'

const FAST = { memoryCost: 1024, timeCost: 1 }
const CLIENT_SECRET = 'svc-secret-at-least-16-chars'
let base = ''
let close: () => Promise<void>
const auth = createAuth({
  secret: 'oauth-interop-secret-at-least-32-bytes!!',
  clients: { web: {}, svc: { secret: CLIENT_SECRET } },
  clientId: 'web',
  reuseGrace: 0,
})

beforeAll(async () => {
  const user = {
    id: 'u1',
    roles: ['user'],
    scope: 'users:read',
    passwordHash: await hashPassword('pw-ada-123', FAST),
  }
  const app = express()
  app.use(authRouter(auth, { findUser: (n) => (n === 'ada' ? user : null), passwordOptions: FAST }))
  const server = app.listen(0, '127.0.0.1')
  await new Promise((resolve) => server.once('listening', resolve))
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  close = () => new Promise((resolve) => server.close(() => resolve()))
})
afterAll(async () => close())

const client = (id = 'svc', secret = CLIENT_SECRET) =>
  new ResourceOwnerPassword({
    client: { id, secret },
    auth: { tokenHost: base, tokenPath: '/auth/token', revokePath: '/auth/revoke' },
  })
/** The parsed error body simple-oauth2 hands to the application, and the status. */
async function failure(
  promise: Promise<unknown>,
): Promise<{ status: number; body: { error: string; error_description?: string } }> {
  try {
    await promise
  } catch (err) {
    const e = err as { output?: { statusCode: number }; data?: { payload: unknown } }
    return { status: e.output!.statusCode, body: e.data!.payload as { error: string } }
  }
  throw new Error('expected the OAuth client to fail')
}
const claimsOf = (token: string) => JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString())

describe('simple-oauth2 against the token endpoint', () => {
  it('gets, refreshes and revokes tokens; the access token names its client (RFC 9068 client_id)', async () => {
    const token = await client().getToken({ username: 'ada', password: 'pw-ada-123' })
    expect(token.token.token_type).toBe('bearer')
    expect(claimsOf(token.token.access_token as string).client_id).toBe('svc')
    const next = await token.refresh()
    expect(claimsOf(next.token.access_token as string).client_id).toBe('svc')
    await next.revoke('refresh_token')
    expect((await failure(next.refresh())).body.error).toBe('invalid_grant')
  })

  it('reads invalid_grant for wrong credentials and for a spent refresh token', async () => {
    const wrong = await failure(client().getToken({ username: 'ada', password: 'nope' }))
    expect(wrong.status).toBe(400)
    expect(wrong.body).toEqual({
      error: 'invalid_grant',
      error_description: 'the username or password is incorrect',
    })
    const token = await client().getToken({ username: 'ada', password: 'pw-ada-123' })
    await token.refresh()
    const spent = await failure(token.refresh())
    expect(spent).toMatchObject({ status: 400, body: { error: 'invalid_grant' } })
  })

  it('reads invalid_client (401) for a wrong secret and an unknown client', async () => {
    const bad = await failure(
      client('svc', 'not-the-secret-at-all').getToken({ username: 'ada', password: 'pw-ada-123' }),
    )
    expect(bad).toMatchObject({ status: 401, body: { error: 'invalid_client' } })
    const unknown = await failure(
      client('nobody', 'whatever-secret-123').getToken({ username: 'ada', password: 'x' }),
    )
    expect(unknown).toMatchObject({ status: 401, body: { error: 'invalid_client' } })
  })

  it('refuses a refresh token issued to another client (invalid_grant)', async () => {
    const token = await client().getToken({ username: 'ada', password: 'pw-ada-123' })
    const res = await fetch(`${base}/auth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `grant_type=refresh_token&client_id=web&refresh_token=${token.token.refresh_token}`,
    })
    expect(res.status).toBe(400)
    expect(await res.json()).toMatchObject({ error: 'invalid_grant' })
  })
})

describe('RFC 6749 §5.2 errors, RFC 7009 revocation and RFC 7662 introspection over HTTP', () => {
  const form = (path: string, body: string, headers: Record<string, string> = {}) =>
    fetch(base + path, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
      body,
    })
  const basic = `Basic ${Buffer.from(`svc:${CLIENT_SECRET}`).toString('base64')}`

  it('answers unsupported_grant_type, invalid_request and a public client by default', async () => {
    const grant = await form('/auth/token', 'grant_type=client_credentials')
    expect(grant.status).toBe(400)
    expect(await grant.json()).toMatchObject({ error: 'unsupported_grant_type' })
    const malformed = await form('/auth/token', 'grant_type=password&username=ada')
    expect(await malformed.json()).toMatchObject({ error: 'invalid_request' })
    const dup = await form('/auth/token', 'grant_type=password&grant_type=password')
    expect(await dup.json()).toMatchObject({ error: 'invalid_request' })
    const ok = await form('/auth/token', 'grant_type=password&username=ada&password=pw-ada-123')
    expect(claimsOf(((await ok.json()) as { access_token: string }).access_token).client_id).toBe('web')
    // The JSON routes keep tokenward's own codes.
    const json = await fetch(`${base}/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'ada', password: 'nope' }),
    })
    expect(await json.json()).toMatchObject({ error: 'invalid_credentials' })
  })

  it('revokes with 200 for any token, and introspects only for an authenticated client', async () => {
    const token = await client().getToken({ username: 'ada', password: 'pw-ada-123' })
    const at = token.token.access_token as string
    const denied = await form('/auth/introspect', `token=${at}`)
    expect(denied.status).toBe(401)
    expect(denied.headers.get('www-authenticate')).toMatch(/^Basic realm=/)
    const live = await form('/auth/introspect', `token=${at}`, { authorization: basic })
    expect(await live.json()).toMatchObject({
      active: true,
      token_type: 'Bearer',
      sub: 'u1',
      client_id: 'svc',
      scope: 'users:read',
    })
    const rt = await form(
      '/auth/introspect',
      `token=${token.token.refresh_token}&token_type_hint=refresh_token`,
      { authorization: basic },
    )
    expect(await rt.json()).toMatchObject({ active: true, token_type: 'refresh_token' })
    expect((await form('/auth/revoke', 'token=garbage', { authorization: basic })).status).toBe(200)
    expect((await form('/auth/revoke', `token=${at}`, { authorization: basic })).status).toBe(200)
    expect(await (await form('/auth/introspect', `token=${at}`, { authorization: basic })).json()).toEqual({
      active: false,
    })
    expect((await form('/auth/revoke', `token=${at}`)).status).toBe(401) // clients configured: must authenticate
  })
})

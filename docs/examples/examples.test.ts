// Each seed's flow, end to end over real HTTP on 127.0.0.1 (the apps import the BUILT package).
import { type ChildProcess, spawn } from 'node:child_process'
import { once } from 'node:events'
import { type AddressInfo, createServer } from 'node:net'
import { join } from 'node:path'
import { serve } from '@hono/node-server'
import { describe, expect, it } from 'vitest'
// @ts-expect-error: plain JavaScript examples, no declarations
import * as seed000 from './000-express-guards/app.mjs'
// @ts-expect-error: plain JavaScript examples, no declarations
import * as seed001 from './001-fastify-oauth2/app.mjs'
// @ts-expect-error: plain JavaScript examples, no declarations
import * as seed002 from './002-hono-user-middleware/app.mjs'
// @ts-expect-error: plain JavaScript examples, no declarations
import * as seed003 from './003-express-sql/app.mjs'
// @ts-expect-error: plain JavaScript examples, no declarations
import * as seed004 from './004-hono-scopes-tenants/app.mjs'

type Json = Record<string, unknown>
const json = { 'content-type': 'application/json' }

async function listenExpress(app: { listen: (port: number, host: string) => import('node:http').Server }) {
  const server = app.listen(0, '127.0.0.1')
  await new Promise((resolve) => server.once('listening', resolve))
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise((r) => server.close(r)),
  }
}
async function listenHono(fetchFn: (req: Request) => Response | Promise<Response>) {
  const server = await new Promise<ReturnType<typeof serve>>((resolve) => {
    const s = serve({ fetch: fetchFn, port: 0, hostname: '127.0.0.1' }, () => resolve(s))
  })
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise((r) => server.close(r)),
  }
}
const bearer = (token: string) => ({ authorization: `Bearer ${token}` })
async function login(url: string, username: string, password: string) {
  const res = await fetch(`${url}/auth/login`, {
    method: 'POST',
    headers: json,
    body: JSON.stringify({ username, password }),
  })
  expect(res.status).toBe(200)
  return (await res.json()) as { access_token: string; refresh_token: string }
}

describe('seed 000 (Nexios) on Express: user hook, guards, group, custom 401/403, hierarchy', () => {
  it('runs the flow', async () => {
    const srv = await listenExpress(await seed000.createApp())
    try {
      const missing = await fetch(`${srv.url}/protected`)
      expect(missing.status).toBe(401)
      expect(await missing.json()).toEqual({ error: 'Authentication required', code: 'token_missing' })
      const ada = await login(srv.url, 'ada', 'ada-password')
      expect(
        await (await fetch(`${srv.url}/protected`, { headers: bearer(ada.access_token) })).json(),
      ).toMatchObject({ user_id: '1' })
      expect((await fetch(`${srv.url}/api/profile`, { headers: bearer(ada.access_token) })).status).toBe(200)
      expect((await fetch(`${srv.url}/api/moderation`, { headers: bearer(ada.access_token) })).status).toBe(
        200,
      )
      const bob = await login(srv.url, 'bob', 'bob-password')
      const denied = await fetch(`${srv.url}/api/moderation`, { headers: bearer(bob.access_token) })
      expect(denied.status).toBe(403)
      expect(await denied.json()).toEqual({ error: 'Permission denied', code: 'insufficient_role' })
    } finally {
      await srv.close()
    }
  })
})

describe('seed 001 (FastAPI) on Fastify: env settings, register, OAuth2 form token, refresh, me, logout', () => {
  it('reads settings from the environment', () => {
    expect(seed001.settingsFromEnv({ JWT_SECRET: 's'.repeat(32), ACCESS_TOKEN_EXPIRE: '5m' })).toMatchObject({
      accessTokenTtl: '5m',
    })
  })
  it('runs the flow', async () => {
    const app = await seed001.createApp({ ACCESS_TOKEN_EXPIRE: '5m' })
    const url = await app.listen({ port: 0, host: '127.0.0.1' })
    try {
      const reg = await fetch(`${url}/register`, {
        method: 'POST',
        headers: json,
        body: JSON.stringify({ username: 'ada', password: 'pw-123456', email: 'a@x' }),
      })
      expect(reg.status).toBe(201)
      const token = await fetch(`${url}/auth/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: 'grant_type=password&username=ada&password=pw-123456',
      })
      expect(token.status).toBe(200)
      const pair = (await token.json()) as Json
      expect(pair.expires_in).toBe(300)
      const refreshed = (await (
        await fetch(`${url}/auth/refresh`, {
          method: 'POST',
          headers: json,
          body: JSON.stringify({ refresh_token: pair.refresh_token }),
        })
      ).json()) as Json
      const me = await fetch(`${url}/users/me`, { headers: bearer(String(refreshed.access_token)) })
      expect(await me.json()).toEqual({ id: 'ada', username: 'ada', email: 'a@x' })
      const out = await fetch(`${url}/auth/logout`, {
        method: 'POST',
        headers: bearer(String(refreshed.access_token)),
      })
      expect(out.status).toBe(204)
      const after = await fetch(`${url}/users/me`, { headers: bearer(String(refreshed.access_token)) })
      expect(((await after.json()) as Json).error).toBe('token_revoked')
    } finally {
      await app.close()
    }
  })
})

describe('seed 002 (Ravyn) on Hono: user-class middleware, all routes vs an included group', () => {
  it('protects everything or only the group', async () => {
    const token = (await seed002.auth.issueTokens({ sub: 'u1' })).accessToken
    const inactive = (await seed002.auth.issueTokens({ sub: 'u2' })).accessToken
    const all = await listenHono(seed002.protectAll().fetch)
    const group = await listenHono(seed002.protectGroup().fetch)
    try {
      expect((await fetch(`${all.url}/`)).status).toBe(401)
      expect(await (await fetch(`${all.url}/`, { headers: bearer(token) })).json()).toEqual({ hello: 'Ada' })
      expect(
        ((await (await fetch(`${all.url}/items`, { headers: bearer(inactive) })).json()) as Json).error,
      ).toBe('user_not_found')
      expect((await fetch(`${group.url}/`)).status).toBe(200)
      expect((await fetch(`${group.url}/private/items`)).status).toBe(401)
      expect((await fetch(`${group.url}/private/items`, { headers: bearer(token) })).status).toBe(200)
    } finally {
      await all.close()
      await group.close()
    }
  })
})

describe('seed 003 (FastAPI + SQL) on Express with PGlite: login by e-mail against hashed passwords', () => {
  it('logs in from the database and never shows the hash', async () => {
    const db = await seed003.createDatabase()
    const srv = await listenExpress(await seed003.createApp(db))
    try {
      const bad = await fetch(`${srv.url}/auth/login`, {
        method: 'POST',
        headers: json,
        body: JSON.stringify({ email: 'ada@example.com', password: 'nope' }),
      })
      expect(bad.status).toBe(401)
      const res = await fetch(`${srv.url}/auth/login`, {
        method: 'POST',
        headers: json,
        body: JSON.stringify({ email: 'ADA@example.com', password: 'ada-password' }),
      })
      expect(res.status).toBe(200)
      const { access_token } = (await res.json()) as { access_token: string }
      expect(await (await fetch(`${srv.url}/users/me`, { headers: bearer(access_token) })).json()).toEqual({
        id: 1,
        email: 'ada@example.com',
        full_name: 'Ada Lovelace',
      })
      await db.query('update users set is_active = false where id = 1')
      expect(
        ((await (await fetch(`${srv.url}/users/me`, { headers: bearer(access_token) })).json()) as Json)
          .error,
      ).toBe('user_not_found')
    } finally {
      await srv.close()
      await db.close()
    }
  })
})

describe('seed 004 (Velithon) on Hono: its test list', () => {
  let now = Date.now()
  const setup = async () => {
    const { app } = await seed004.createApp({ now: () => now })
    return listenHono(app.fetch)
  }
  it('login, protected (tenant and session ids), refresh, expired, invalid, role and scopes', async () => {
    const srv = await setup()
    try {
      const admin = await login(srv.url, 'admin', 'admin123')
      const user = await login(srv.url, 'user', 'user123')
      const protectedRes = (await (
        await fetch(`${srv.url}/protected`, { headers: bearer(admin.access_token) })
      ).json()) as Json
      expect(protectedRes).toMatchObject({ tenant_id: 'acme' })
      expect(typeof protectedRes.session_id).toBe('string')
      const refreshed = (await (
        await fetch(`${srv.url}/auth/refresh`, {
          method: 'POST',
          headers: json,
          body: JSON.stringify({ refresh_token: admin.refresh_token }),
        })
      ).json()) as Json
      const again = (await (
        await fetch(`${srv.url}/protected`, { headers: bearer(String(refreshed.access_token)) })
      ).json()) as Json
      expect(again.session_id).toBe(protectedRes.session_id)
      expect((await fetch(`${srv.url}/protected`, { headers: bearer('invalid.token.here') })).status).toBe(
        401,
      )
      expect((await fetch(`${srv.url}/admin-only`, { headers: bearer(admin.access_token) })).status).toBe(200)
      expect((await fetch(`${srv.url}/admin-only`, { headers: bearer(user.access_token) })).status).toBe(403)
      expect((await fetch(`${srv.url}/api/users/read`, { headers: bearer(user.access_token) })).status).toBe(
        200,
      )
      const write = await fetch(`${srv.url}/api/users/write`, {
        method: 'POST',
        headers: bearer(user.access_token),
      })
      expect(write.status).toBe(403)
      expect(((await write.json()) as Json).error).toBe('insufficient_scope')
      now += 31 * 60 * 1000
      const expired = await fetch(`${srv.url}/protected`, { headers: bearer(user.access_token) })
      expect(((await expired.json()) as Json).error).toBe('token_expired')
    } finally {
      await srv.close()
    }
  })
})

describe('run on their own, the examples listen on $PORT and say where', () => {
  const freePort = () =>
    new Promise<number>((resolve, reject) => {
      const probe = createServer()
      probe.once('error', reject)
      probe.listen(0, '127.0.0.1', () => {
        const { port } = probe.address() as AddressInfo
        probe.close(() => resolve(port))
      })
    })
  const waitForOutput = (child: ChildProcess, pattern: RegExp) =>
    new Promise<void>((resolve, reject) => {
      let output = ''
      const timer = setTimeout(() => reject(new Error(`no ${pattern} in 15 s:\n${output}`)), 15_000)
      const onData = (chunk: Buffer) => {
        output += chunk.toString()
        if (pattern.test(output)) {
          clearTimeout(timer)
          resolve()
        }
      }
      child.stdout!.on('data', onData)
      child.stderr!.on('data', onData)
      child.once('exit', (code) => {
        clearTimeout(timer)
        reject(new Error(`exited with ${code}:\n${output}`))
      })
    })

  it.each([
    ['000-express-guards/app.mjs', '/protected'],
    ['001-fastify-oauth2/app.mjs', '/users/me'],
    ['002-hono-user-middleware/app.mjs', '/private/items'],
    ['003-express-sql/app.mjs', '/users/me'],
    ['004-hono-scopes-tenants/app.mjs', '/protected'],
    ['demo/server.mjs', '/api/user'],
  ])('node docs/examples/%s', async (file, protectedPath) => {
    const port = await freePort()
    const env: NodeJS.ProcessEnv = { ...process.env, PORT: String(port), HOST: '127.0.0.1', DEMO_QUIET: '1' }
    delete env.REDIS_URL // the demo would use it
    const child = spawn(process.execPath, [join(import.meta.dirname, file)], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    const exited = once(child, 'exit')
    try {
      await waitForOutput(child, new RegExp(`on http://127\\.0\\.0\\.1:${port}\\b`))
      expect((await fetch(`http://127.0.0.1:${port}${protectedPath}`)).status).toBe(401)
    } finally {
      child.kill('SIGTERM')
      await exited
    }
  })
})

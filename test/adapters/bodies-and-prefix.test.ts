// Bodies and mounting over real HTTP on all three frameworks: a body is
// capped while it streams, a repeated form parameter gets the same answer everywhere (also when
// Express's own parser ran first), and the auth routes follow one mounting rule:
// <where the app mounts them><prefix>.
import { request as httpRequest } from 'node:http'
import express from 'express'
import Fastify from 'fastify'
import { Hono } from 'hono'
import { afterEach, describe, expect, it } from 'vitest'
import * as ex from '../../src/adapters/express.js'
import tokenward from '../../src/adapters/fastify.js'
import * as ho from '../../src/adapters/hono.js'
import { type Auth, type AuthRouteOptions, createAuth } from '../../src/index.js'
import {
  cookieIn,
  FRAMEWORKS,
  type Framework,
  form,
  jarOf,
  json,
  SECRET,
  type Served,
  serveExpress,
  serveFastify,
  serveHono,
} from './serve.js'

type AnyAuth = Auth<object, unknown>
const routeOptions: AuthRouteOptions<unknown, object> = {
  verifyCredentials: (username, password) =>
    username === 'bob' && password === 'bob-password' ? { id: 'u-bob', name: 'Bob' } : null,
  rateLimit: false,
}

/** The auth routes mounted the way each framework's users mount a sub-app under `mount`. */
async function mounted(
  framework: Framework,
  auth: AnyAuth,
  mount: string,
  options: AuthRouteOptions<unknown, object> = routeOptions,
  before?: (app: express.Express) => void,
): Promise<Served> {
  if (framework === 'express') {
    const app = express()
    before?.(app)
    if (mount === '/') app.use(ex.authRouter(auth, options))
    else app.use(mount, ex.authRouter(auth, options))
    return serveExpress(app)
  }
  if (framework === 'fastify') {
    const app = Fastify()
    await app.register(tokenward, { auth, routes: options, ...(mount === '/' ? {} : { prefix: mount }) })
    return serveFastify(app)
  }
  const app = new Hono()
  app.route(mount, ho.authRoutes(auth, options))
  return serveHono(app)
}

/**
 * Streams a chunked body (no Content-Length) and never ends it: the answer must come while the
 * body is still arriving. Resolves with the status, the body and how many bytes had been sent.
 */
function streamForever(url: string): Promise<{ status: number; body: string; sent: number }> {
  return new Promise((resolve, reject) => {
    const chunk = Buffer.alloc(16 * 1024, 'a')
    let sent = 0
    let answered = false
    const req = httpRequest(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'transfer-encoding': 'chunked' },
    })
    const timer = setTimeout(() => {
      req.destroy()
      reject(new Error(`no answer after ${sent} bytes: the whole body is being read first`))
    }, 4000)
    req.on('response', (res) => {
      answered = true
      let body = ''
      res.on('data', (d: Buffer) => {
        body += d.toString()
      })
      res.on('end', () => {
        clearTimeout(timer)
        req.destroy()
        resolve({ status: res.statusCode!, body, sent })
      })
    })
    req.on('error', (err) => {
      if (!answered) {
        clearTimeout(timer)
        reject(err)
      }
    })
    const pump = () => {
      if (answered || sent >= 8 * 1024 * 1024) return // then: wait, never end the body
      sent += chunk.length
      req.write(chunk, () => setTimeout(pump, 1))
    }
    pump()
  })
}

describe.each(FRAMEWORKS)('%s: request bodies', (framework) => {
  let app: Served | undefined
  afterEach(async () => {
    await app?.close()
    app = undefined
  })

  it('stops reading a chunked body at the limit and answers 400 invalid_request while it still streams', async () => {
    app = await mounted(framework, createAuth({ secret: SECRET }) as unknown as AnyAuth, '/')
    const { status, body, sent } = await streamForever(`${app.url}/auth/login`)
    expect(status).toBe(400)
    expect(JSON.parse(body)).toEqual({
      error: 'invalid_request',
      message: 'the body is larger than 16384 bytes',
    })
    // The default limit is 16 KiB: the answer came long before the 8 MiB the client would send.
    expect(sent).toBeLessThan(1024 * 1024)
  })

  it('gives a repeated form parameter the same 400 as everywhere, also after Express’s own body parser', async () => {
    const auth = createAuth({ secret: SECRET }) as unknown as AnyAuth
    const parsers: ((app: express.Express) => void)[] =
      framework === 'express'
        ? [
            () => {},
            (a) => a.use(express.urlencoded({ extended: false })),
            (a) => a.use(express.urlencoded({ extended: true })),
            (a) => a.use(express.json(), express.urlencoded({ extended: true })),
          ]
        : [() => {}]
    for (const parser of parsers) {
      app = await mounted(framework, auth, '/', routeOptions, parser)
      const res = await fetch(`${app.url}/auth/login`, {
        method: 'POST',
        headers: form,
        body: 'username=bob&username=bob&password=bob-password',
      })
      expect(res.status).toBe(400)
      expect(await res.json()).toEqual({
        error: 'invalid_request',
        message: 'the parameter username is repeated',
      })
      const token = await fetch(`${app.url}/auth/token`, {
        method: 'POST',
        headers: form,
        body: 'grant_type=password&grant_type=password&username=bob&password=bob-password',
      })
      expect(token.status).toBe(400)
      expect(JSON.stringify(await token.json())).toContain('the parameter grant_type is repeated')
      // A JSON body a parser already read is used as it is.
      const ok = await fetch(`${app.url}/auth/login`, {
        method: 'POST',
        headers: json,
        body: JSON.stringify({ username: 'bob', password: 'bob-password' }),
      })
      expect(ok.status).toBe(200)
      await app.close()
      app = undefined
    }
  })
})

describe.each(FRAMEWORKS)('%s: one mounting rule — <mount point><prefix>', (framework) => {
  let app: Served | undefined
  afterEach(async () => {
    await app?.close()
    app = undefined
  })

  const login = (base: string) =>
    fetch(`${base}/login`, {
      method: 'POST',
      headers: json,
      body: JSON.stringify({ username: 'bob', password: 'bob-password' }),
    })

  it('serves /api/auth/login when mounted under /api, and nothing at /auth or /api/auth/auth', async () => {
    app = await mounted(framework, createAuth({ secret: SECRET }) as unknown as AnyAuth, '/api')
    expect((await login(`${app.url}/api/auth`)).status).toBe(200)
    expect((await login(`${app.url}/auth`)).status).toBe(404)
    expect((await login(`${app.url}/api/auth/auth`)).status).toBe(404)
  })

  it('puts a custom prefix below the mount point (/api + /session)', async () => {
    app = await mounted(framework, createAuth({ secret: SECRET }) as unknown as AnyAuth, '/api', {
      ...routeOptions,
      prefix: '/session',
    })
    expect((await login(`${app.url}/api/session`)).status).toBe(200)
    expect((await login(`${app.url}/session`)).status).toBe(404)
  })

  it('scopes the refresh cookie to the path the client uses, so cookie refresh works under the mount', async () => {
    app = await mounted(
      framework,
      createAuth({ secret: SECRET, cookies: true }) as unknown as AnyAuth,
      '/api',
    )
    const res = await login(`${app.url}/api/auth`)
    const refreshCookie = res.headers.getSetCookie().find((c) => c.startsWith('__Secure-tw_refresh='))!
    expect(refreshCookie).toMatch(/; Path=\/api\/auth(;|$)/)
    const jar = jarOf(res)
    const refreshed = await fetch(`${app.url}/api/auth/refresh`, {
      method: 'POST',
      headers: { cookie: jar, 'x-csrf-token': cookieIn(jar, '__Host-tw_csrf')! },
    })
    expect(refreshed.status).toBe(200)
    expect(refreshed.headers.getSetCookie().find((c) => c.startsWith('__Secure-tw_refresh='))).toMatch(
      /; Path=\/api\/auth(;|$)/,
    )
  })
})

describe('fastify: the prefix of an enclosing plugin counts too', () => {
  it('serves /api/auth/login for a tokenward registered inside a plugin with prefix /api', async () => {
    const app = Fastify()
    await app.register(
      async (api) => {
        await api.register(tokenward, {
          auth: createAuth({ secret: SECRET }) as unknown as AnyAuth,
          routes: routeOptions,
        })
      },
      { prefix: '/api' },
    )
    const res = await app.inject({
      method: 'POST',
      url: '/api/auth/login',
      headers: json,
      payload: JSON.stringify({ username: 'bob', password: 'bob-password' }),
    })
    expect(res.statusCode).toBe(200)
    await app.close()
  })
})

// One server for the HTTP benchmark: `node http-server.mjs <framework> <mode> <port> [redisUrl]`.
//   framework: express | fastify | hono
//   mode: open (unprotected) | open-mw (unprotected behind a no-op middleware / async preHandler) |
//         open-user (a no-op that puts a fixed context on the request, as every auth middleware
//         must: Express req.auth/req.user, Fastify decorated request.auth/user, Hono c.set) |
//         tokenward (memory store) | tokenward-redis (verdict cache on, the default) |
//         tokenward-redis-nocache (cache: false) | tokenward-redis-protect (Hono only: protect()
//         with the Redis store) | tokenward-protect (Hono only: protect()
//         instead of a middleware) | peer (the framework's usual JWT plugin:
//         express-jwt, @fastify/jwt, hono/jwt)
// Every variant answers GET /protected with a small JSON body. With --expose-gc, GET /__heap
// collects garbage and answers the heap size (the soak uses it). Prints "ready" when listening.
import { createAuth, memoryStore } from '../../dist/index.js'
import { SECRET } from './lib.mjs'

const [framework, mode, portArg, redisUrl] = process.argv.slice(2)
// What an authentication middleware hands the route, fixed: the `open-user` floor.
const CONTEXT = {
  token: '',
  claims: { sub: 'u1' },
  user: { sub: 'u1' },
  roles: [],
  scopes: [],
  source: 'header',
}
const port = Number(portArg)

async function tokenwardAuth() {
  if (!mode.startsWith('tokenward-redis')) return createAuth({ secret: SECRET, store: memoryStore() })
  const { createClient } = await import('redis')
  const { redisStore } = await import('../../dist/stores/redis.js')
  const client = createClient({ url: redisUrl })
  client.on('error', () => {}) // the runner stops Redis last; an error here is not the benchmark's
  await client.connect()
  const cache = mode !== 'tokenward-redis-nocache'
  return createAuth({ secret: SECRET, store: redisStore({ client, cache, onWarning: () => {} }) })
}

// Server CPU time (µs, user + system): the runner divides it by the requests served, a measure that
// does not depend on how fast the load generator on the same machine is.
const cpu = () => {
  const { user, system } = process.cpuUsage()
  return { cpuMicros: user + system }
}

const heap = () => {
  globalThis.gc?.()
  const m = process.memoryUsage()
  return { heapUsed: m.heapUsed, rss: m.rss }
}

async function express() {
  const { default: express } = await import('express')
  const app = express()
  app.get('/__heap', (_req, res) => res.json(heap()))
  app.get('/__cpu', (_req, res) => res.json(cpu()))
  if (mode === 'open') {
    app.get('/protected', (_req, res) => res.json({ ok: true, sub: 'anonymous' }))
  } else if (mode === 'open-mw') {
    const noop = (_req, _res, next) => next()
    app.get('/protected', noop, (_req, res) => res.json({ ok: true, sub: 'anonymous' }))
  } else if (mode === 'open-user') {
    const putUser = (req, _res, next) => {
      req.auth = CONTEXT
      req.user = CONTEXT.user
      next()
    }
    app.get('/protected', putUser, (req, res) => res.json({ ok: true, sub: req.auth.claims.sub }))
  } else if (mode === 'peer') {
    const { expressjwt } = await import('express-jwt')
    // express-jwt's README form: the secret as a string.
    app.get('/protected', expressjwt({ secret: SECRET, algorithms: ['HS256'] }), (req, res) =>
      res.json({ ok: true, sub: req.auth.sub }),
    )
  } else {
    const { authenticate } = await import('../../dist/adapters/express.js')
    const auth = await tokenwardAuth()
    app.get('/protected', authenticate(auth), (req, res) => res.json({ ok: true, sub: req.auth.claims.sub }))
  }
  await new Promise((resolve) => app.listen(port, '127.0.0.1', resolve))
}

async function fastify() {
  const { default: Fastify } = await import('fastify')
  const app = Fastify()
  app.get('/__heap', async () => heap())
  app.get('/__cpu', async () => cpu())
  if (mode === 'open') {
    app.get('/protected', async () => ({ ok: true, sub: 'anonymous' }))
  } else if (mode === 'open-mw') {
    const noop = async () => {}
    app.get('/protected', { preHandler: noop }, async () => ({ ok: true, sub: 'anonymous' }))
  } else if (mode === 'open-user') {
    app.decorateRequest('auth', null)
    app.decorateRequest('user', null)
    const putUser = async (request) => {
      request.auth = CONTEXT
      request.user = CONTEXT.user
    }
    app.get('/protected', { preHandler: putUser }, async (request) => ({
      ok: true,
      sub: request.auth.claims.sub,
    }))
  } else if (mode === 'peer') {
    const { default: jwt } = await import('@fastify/jwt')
    await app.register(jwt, { secret: SECRET })
    app.get('/protected', { onRequest: (request) => request.jwtVerify() }, async (request) => ({
      ok: true,
      sub: request.user.sub,
    }))
  } else {
    const { default: tokenward } = await import('../../dist/adapters/fastify.js')
    await app.register(tokenward, { auth: await tokenwardAuth() })
    app.get('/protected', { config: { auth: true } }, async (request) => ({
      ok: true,
      sub: request.auth.claims.sub,
    }))
  }
  await app.listen({ port, host: '127.0.0.1' })
}

async function hono() {
  const { Hono } = await import('hono')
  const { serve } = await import('@hono/node-server')
  const app = new Hono()
  app.get('/__heap', (c) => c.json(heap()))
  app.get('/__cpu', (c) => c.json(cpu()))
  if (mode === 'open') {
    app.get('/protected', (c) => c.json({ ok: true, sub: 'anonymous' }))
  } else if (mode === 'open-mw') {
    // Any middleware moves Hono off its one-handler fast path: this is that cost alone.
    const noop = async (_c, next) => {
      await next()
    }
    app.get('/protected', noop, (c) => c.json({ ok: true, sub: 'anonymous' }))
  } else if (mode === 'open-user') {
    const putUser = async (c, next) => {
      c.set('auth', CONTEXT)
      c.set('user', CONTEXT.user)
      await next()
    }
    app.get('/protected', putUser, (c) => c.json({ ok: true, sub: c.get('auth').claims.sub }))
  } else if (mode === 'peer') {
    const { jwt } = await import('hono/jwt')
    // tokenward access tokens carry typ "at+jwt" (RFC 9068); hono/jwt checks typ when told to.
    app.get('/protected', jwt({ secret: SECRET, alg: 'HS256', verification: { typ: 'at+jwt' } }), (c) =>
      c.json({ ok: true, sub: c.get('jwtPayload').sub }),
    )
  } else if (mode === 'tokenward-protect' || mode === 'tokenward-redis-protect') {
    // protect(): the route keeps a single handler (Hono's fast path).
    const { protect } = await import('../../dist/adapters/hono.js')
    const auth = await tokenwardAuth()
    app.get(
      '/protected',
      protect(auth, (c) => c.json({ ok: true, sub: c.get('auth').claims.sub })),
    )
  } else {
    const { authenticate } = await import('../../dist/adapters/hono.js')
    const auth = await tokenwardAuth()
    app.get('/protected', authenticate(auth), (c) => c.json({ ok: true, sub: c.get('auth').claims.sub }))
  }
  await new Promise((resolve) => serve({ fetch: app.fetch, port, hostname: '127.0.0.1' }, resolve))
}

await { express, fastify, hono }[framework]()
process.stdout.write('ready\n')
process.on('SIGTERM', () => process.exit(0))

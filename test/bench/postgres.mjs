// PostgreSQL benchmark (tokenward/postgres), in `npm run bench` beside the other stores: on a
// PostgreSQL started here from the Debian binaries (fsync off: a throw-away server, as the Redis
// benchmark runs redis-server without persistence),
//   - GET /protected on Express, Fastify and Hono: unprotected, tokenward with memoryStore (the
//     in-process reference), with postgresStore and its verdict cache (the default), and with
//     `cache: false` — interleaved rounds, as http.mjs;
//   - statements per authenticated request, counted by the server (pg_stat_statements), pg and
//     postgres.js, with and without the cache;
//   - revocation propagation from instance A (a child process) to instance B, p50 / p99;
//   - refresh rotations per second, and the statements one rotation costs.
// `node postgres.mjs` prints JSON; `server …` and `revoker …` are its child processes.
import { execFileSync, fork, spawn } from 'node:child_process'
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { freePort, median, QUICK, SECRET, spawnReady, stop } from './lib.mjs'

const SCHEMA = 'bench'
const here = fileURLToPath(import.meta.url)
const quiet = () => {}

/** A pg Pool and a postgresStore on it. */
async function pgStore(url, options = {}) {
  const { default: pg } = await import('pg')
  const { postgresStore } = await import('../../dist/stores/postgres.js')
  const pool = new pg.Pool({ connectionString: url, max: 10 })
  pool.on('error', quiet)
  return { pool, store: postgresStore({ client: pool, schema: SCHEMA, onWarning: quiet, ...options }) }
}

// --- child: one HTTP server ----------------------------------------------------------------------------

async function server(framework, mode, port, url) {
  const { createAuth } = await import('../../dist/index.js')
  const { store } = await pgStore(url, { cache: mode === 'pg' })
  const auth = createAuth({ secret: SECRET, store })
  const cpu = () => {
    const { user, system } = process.cpuUsage()
    return { cpuMicros: user + system }
  }
  if (framework === 'express') {
    const { default: express } = await import('express')
    const { authenticate } = await import('../../dist/adapters/express.js')
    const app = express()
    app.get('/__cpu', (_req, res) => res.json(cpu()))
    app.get('/protected', authenticate(auth), (req, res) => res.json({ ok: true, sub: req.auth.claims.sub }))
    await new Promise((resolve) => app.listen(port, '127.0.0.1', resolve))
  } else if (framework === 'fastify') {
    const { default: Fastify } = await import('fastify')
    const { default: tokenward } = await import('../../dist/adapters/fastify.js')
    const app = Fastify()
    app.get('/__cpu', async () => cpu())
    await app.register(tokenward, { auth })
    app.get('/protected', { config: { auth: true } }, async (request) => ({
      ok: true,
      sub: request.auth.claims.sub,
    }))
    await app.listen({ port, host: '127.0.0.1' })
  } else {
    const { Hono } = await import('hono')
    const { serve } = await import('@hono/node-server')
    const { authenticate } = await import('../../dist/adapters/hono.js')
    const app = new Hono()
    app.get('/__cpu', (c) => c.json(cpu()))
    app.get('/protected', authenticate(auth), (c) => c.json({ ok: true, sub: c.get('auth').claims.sub }))
    await new Promise((resolve) => serve({ fetch: app.fetch, port, hostname: '127.0.0.1' }, resolve))
  }
  process.stdout.write('ready\n')
}

// --- child: instance A of the propagation benchmark ------------------------------------------------------

async function revoker(url) {
  const { createAuth } = await import('../../dist/index.js')
  const { store } = await pgStore(url)
  const auth = createAuth({ secret: SECRET, store })
  process.on('message', async ({ id, token }) => {
    const called = process.hrtime.bigint()
    try {
      await auth.revoke(token)
    } catch (err) {
      process.send({ id, error: String(err?.cause ?? err) })
      return
    }
    process.send({ id, called: String(called), resolved: String(process.hrtime.bigint()) })
  })
  process.on('disconnect', () => process.exit(0))
  process.send('ready')
}

// --- the server under test -------------------------------------------------------------------------------

/** A throw-away PostgreSQL on 127.0.0.1 (as the `postgres` user when we are root), pg_stat_statements on. */
async function startPostgres() {
  const root = '/usr/lib/postgresql'
  const version = existsSync(root)
    ? readdirSync(root)
        .filter((v) => existsSync(join(root, v, 'bin', 'postgres')))
        .sort((a, b) => b - a)[0]
    : undefined
  if (!version) throw new Error('PostgreSQL is not installed (apt-get install postgresql)')
  const bin = join(root, version, 'bin')
  const asRoot = process.getuid?.() === 0
  const id = (flag) => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }).trim())
  const user = asRoot ? { uid: id('-u'), gid: id('-g') } : {}
  const base = mkdtempSync(join(tmpdir(), 'tokenward-bench-pg-'))
  if (asRoot) chownSync(base, user.uid, user.gid)
  const dir = join(base, 'data')
  execFileSync(
    join(bin, 'initdb'),
    ['-D', dir, '-A', 'trust', '-U', 'postgres', '--no-sync', '-E', 'UTF8', '--locale=C'],
    {
      stdio: 'ignore',
      ...user,
    },
  )
  const port = await freePort()
  const settings = {
    listen_addresses: '127.0.0.1',
    unix_socket_directories: base,
    fsync: 'off',
    synchronous_commit: 'off',
    full_page_writes: 'off',
    shared_buffers: '128MB',
    max_connections: '200',
    shared_preload_libraries: 'pg_stat_statements',
    'pg_stat_statements.track': 'top',
  }
  const args = [
    '-D',
    dir,
    '-p',
    String(port),
    ...Object.entries(settings).flatMap(([k, v]) => ['-c', `${k}=${v}`]),
  ]
  const child = spawn(join(bin, 'postgres'), args, { stdio: ['ignore', 'pipe', 'pipe'], ...user })
  await new Promise((resolve, reject) => {
    let out = ''
    const timer = setTimeout(() => reject(new Error(`postgres did not start:\n${out}`)), 30_000)
    const read = (chunk) => {
      out += chunk
      if (out.includes('ready to accept connections')) {
        clearTimeout(timer)
        resolve()
      }
    }
    child.stdout.on('data', read)
    child.stderr.on('data', read)
  })
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`
  const psql = (command) =>
    execFileSync(
      join(bin, 'psql'),
      ['-h', '127.0.0.1', '-p', String(port), '-U', 'postgres', '-qAtc', command],
      {
        encoding: 'utf8',
      },
    ).trim()
  psql('CREATE EXTENSION pg_stat_statements')
  return {
    url,
    version: psql('SHOW server_version'),
    stop: () =>
      new Promise((resolve) => {
        child.once('exit', () => {
          rmSync(base, { recursive: true, force: true })
          resolve()
        })
        child.kill('SIGQUIT')
      }),
  }
}

// --- HTTP ----------------------------------------------------------------------------------------------

const ROUNDS = QUICK ? 1 : 5
const SECONDS = QUICK ? 1 : 2
const CONNECTIONS = 32
// `memory`: tokenward with memoryStore() (http-server.mjs), the in-process reference for the cache.
const MODES = ['open', 'memory', 'pg', 'pg-nocache']

async function http(url, token) {
  const { default: autocannon } = await import('autocannon')
  const headers = { authorization: `Bearer ${token}` }
  const load = (target, duration) =>
    autocannon({ url: target, connections: CONNECTIONS, duration, headers, pipelining: 1 })
  const results = []
  for (const framework of ['express', 'fastify', 'hono']) {
    const servers = {}
    try {
      for (const mode of MODES) {
        const port = await freePort()
        const args =
          mode === 'open' || mode === 'memory'
            ? ['test/bench/http-server.mjs', framework, mode === 'open' ? 'open' : 'tokenward', String(port)]
            : [here, 'server', framework, mode, String(port), url]
        const child = await spawnReady(args)
        const target = `http://127.0.0.1:${port}/protected`
        servers[mode] = { child, target, rps: [], p99: [], cpu: [] }
        const check = await fetch(target, { headers })
        if (check.status !== 200)
          throw new Error(`${framework}/${mode}: GET /protected answered ${check.status}`)
        await load(target, QUICK ? 1 : 2) // warm-up: JIT, pools, the verdict cache
      }
      for (let round = 0; round < ROUNDS; round++) {
        for (const mode of MODES.map((_, i) => MODES[(i + round) % MODES.length])) {
          const s = servers[mode]
          const cpuUrl = s.target.replace('/protected', '/__cpu')
          const before = (await (await fetch(cpuUrl)).json()).cpuMicros
          const r = await load(s.target, SECONDS)
          const after = (await (await fetch(cpuUrl)).json()).cpuMicros
          if (r.non2xx > 0 || r.errors > 0 || r.timeouts > 0)
            throw new Error(
              `${framework}/${mode}: ${r.non2xx} non-2xx, ${r.errors} errors, ${r.timeouts} timeouts`,
            )
          s.rps.push(r.requests.average)
          s.p99.push(r.latency.p99)
          s.cpu.push((after - before) / r.requests.total)
        }
        console.error(`postgres http ${framework} round ${round + 1}/${ROUNDS}`)
      }
      const row = { framework }
      for (const mode of MODES) {
        const s = servers[mode]
        row[mode] = { rps: median(s.rps), p99: median(s.p99), cpuMicros: median(s.cpu) }
        if (mode !== 'open') {
          row[mode].ratio = median(s.rps.map((x, i) => x / servers.open.rps[i]))
          row[mode].cpuRatio = median(s.cpu.map((x, i) => servers.open.cpu[i] / x))
        }
      }
      results.push(row)
    } finally {
      for (const s of Object.values(servers)) await stop(s.child)
    }
  }
  return { connections: CONNECTIONS, seconds: SECONDS, rounds: ROUNDS, results }
}

// --- statements per request, counted by the server ----------------------------------------------------------

/** Calls of the store's statements (those naming the schema) since the last reset, by statement. */
async function statementCalls(admin) {
  const { rows } = await admin.query(
    "SELECT query, calls FROM pg_stat_statements WHERE query LIKE '%bench.%' AND query NOT LIKE '%pg_stat_statements%'",
  )
  return rows.map((r) => ({ query: r.query.replace(/\s+/g, ' ').slice(0, 60), calls: Number(r.calls) }))
}

async function counted(admin, n, fn) {
  await admin.query('SELECT pg_stat_statements_reset()')
  await fn()
  const calls = await statementCalls(admin)
  return { perCall: calls.reduce((sum, c) => sum + c.calls, 0) / n, statements: calls }
}

async function until(condition) {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 5))
}

async function trips(url, admin) {
  const { default: postgres } = await import('postgres')
  const { createAuth } = await import('../../dist/index.js')
  const { postgresStore } = await import('../../dist/stores/postgres.js')
  const N = QUICK ? 200 : 2000
  const out = {}
  for (const kind of ['pg', 'postgres.js']) {
    const sql = kind === 'postgres.js' ? postgres(url, { max: 10, onnotice: quiet }) : undefined
    const made = kind === 'pg' ? [await pgStore(url, { cache: false }), await pgStore(url)] : undefined
    const stores = made
      ? made.map((m) => m.store)
      : [false, true].map((cache) => postgresStore({ client: sql, schema: SCHEMA, cache, onWarning: quiet }))
    const [uncached, cached] = stores.map((store) => ({ store, auth: createAuth({ secret: SECRET, store }) }))
    const pair = await uncached.auth.issueTokens({ sub: `trips-${kind}` })
    const request = { headers: { authorization: `Bearer ${pair.accessToken}` } }
    await uncached.store.ready()
    await cached.auth.authenticate(request)
    await until(() => cached.store.cacheStats().live)
    await cached.auth.authenticate(request) // known from here on
    const loop = (a) => async () => {
      for (let i = 0; i < N; i++) await a.auth.authenticate(request)
    }
    out[kind] = {
      noCache: await counted(admin, N, loop(uncached)),
      cache: await counted(admin, N, loop(cached)),
    }
    const latency = async (a) => {
      const samples = []
      for (let i = 0; i < N; i++) {
        const start = performance.now()
        await a.auth.verifyAccessToken(pair.accessToken)
        samples.push(performance.now() - start)
      }
      return median(samples) * 1000
    }
    out[kind].verifyMicros = { noCache: await latency(uncached), cache: await latency(cached) }
    for (const { store } of [uncached, cached]) await store.close()
    if (made) for (const m of made) await m.pool.end()
    else await sql.end()
  }
  return out
}

// --- propagation A → B -------------------------------------------------------------------------------------

const percentile = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]
}
const summary = (xs) => ({ p50: percentile(xs, 50), p99: percentile(xs, 99), max: Math.max(...xs) })
const pause = new Int32Array(new SharedArrayBuffer(4))
const ns = (x) => Number(x) / 1e6

async function propagation(url) {
  const { createAuth } = await import('../../dist/index.js')
  const N = QUICK ? 50 : 300
  const result = { revocations: N }
  for (const cache of [true, false]) {
    const child = fork(here, ['revoker', url], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] })
    const replies = new Map()
    await new Promise((resolve, reject) => {
      child.on('message', (m) => (m === 'ready' ? resolve() : replies.get(m.id)?.(m)))
      child.once('exit', (code) => reject(new Error(`instance A exited (${code})`)))
    })
    const revoke = (id, token) =>
      new Promise((resolve, reject) => {
        replies.set(id, (m) => (m.error ? reject(new Error(`instance A: ${m.error}`)) : resolve(m)))
        child.send({ id, token })
      })
    const { pool, store } = await pgStore(url, { cache })
    const auth = createAuth({ secret: SECRET, store })
    const pairs = []
    for (let i = 0; i < N; i++) pairs.push(await auth.issueTokens({ sub: `prop-${i % 50}` }))
    await auth.verifyAccessToken(pairs[0].accessToken)
    if (cache) await until(() => store.cacheStats().live)
    const fromCall = []
    const fromResolved = []
    for (let i = 0; i < N; i++) {
      const token = pairs[i].accessToken
      await auth.verifyAccessToken(token)
      await auth.verifyAccessToken(token) // with the cache: known, answered without a statement
      const reply = revoke(i, token)
      reply.catch(() => {})
      let rejectedAt
      for (;;) {
        const ok = await auth.verifyAccessToken(token).then(
          () => true,
          (err) => {
            if (err.code !== 'token_revoked') throw err
            return false
          },
        )
        if (!ok) {
          rejectedAt = process.hrtime.bigint()
          break
        }
        Atomics.wait(pause, 0, 0, 0.1) // 0.1 ms, without burning the core A and PostgreSQL need
        await new Promise((resolve) => setImmediate(resolve))
      }
      const { called, resolved } = await reply
      fromCall.push(ns(rejectedAt - BigInt(called)))
      fromResolved.push(ns(rejectedAt - BigInt(resolved)))
    }
    result[cache ? 'cache' : 'noCache'] = { fromCall: summary(fromCall), fromResolved: summary(fromResolved) }
    console.error(`postgres propagation ${cache ? 'with' : 'without'} the cache done`)
    child.removeAllListeners('exit')
    child.disconnect()
    await store.close()
    await pool.end()
  }
  return result
}

// --- rotations -----------------------------------------------------------------------------------------

async function rotations(url, admin) {
  const { createAuth } = await import('../../dist/index.js')
  const ROUND_MS = QUICK ? 300 : 1500
  const { pool, store } = await pgStore(url)
  const auth = createAuth({ secret: SECRET, store })
  const rate = async (parallel) => {
    const rates = []
    for (let r = 0; r < (QUICK ? 2 : 3); r++) {
      const tokens = await Promise.all(
        Array.from(
          { length: parallel },
          async (_, i) => (await auth.issueTokens({ sub: `rot${r}-${i}` })).refreshToken,
        ),
      )
      let n = 0
      const start = performance.now()
      await Promise.all(
        tokens.map(async (token) => {
          let t = token
          while (performance.now() - start < ROUND_MS) {
            t = (await auth.refresh(t)).refreshToken
            n++
          }
        }),
      )
      rates.push(n / ((performance.now() - start) / 1000))
    }
    return median(rates)
  }
  const result = { sequential: await rate(1), parallel: await rate(32) }
  let rt = (await auth.issueTokens({ sub: 'rot-count' })).refreshToken
  result.perRotation = await counted(admin, 100, async () => {
    for (let i = 0; i < 100; i++) rt = (await auth.refresh(rt)).refreshToken
  })
  await store.close()
  await pool.end()
  return result
}

// --- main ----------------------------------------------------------------------------------------------

const [role, ...rest] = process.argv.slice(2)
if (role === 'server') await server(rest[0], rest[1], Number(rest[2]), rest[3])
else if (role === 'revoker') await revoker(rest[0])
else {
  const pg = await startPostgres()
  const { default: pgClient } = await import('pg')
  const admin = new pgClient.Pool({ connectionString: pg.url, max: 2 })
  try {
    const { store, pool } = await pgStore(pg.url, { cache: false })
    await store.migrate()
    await pool.end()
    const { createAuth } = await import('../../dist/index.js')
    const token = (await createAuth({ secret: SECRET }).issueTokens({ sub: 'bench-user', roles: ['user'] }))
      .accessToken
    const result = { server: pg.version }
    result.trips = await trips(pg.url, admin)
    console.error('postgres trips done')
    result.rotations = await rotations(pg.url, admin)
    console.error('postgres rotations done')
    result.propagation = await propagation(pg.url)
    result.http = await http(pg.url, token)
    console.log(JSON.stringify(result))
  } finally {
    await admin.end()
    await pg.stop()
  }
}

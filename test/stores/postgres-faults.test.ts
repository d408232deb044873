// Faults of a real PostgreSQL (each test starts its own server): a restart under load, a statement
// past the timeout (cancelled on the server, or committed late — never half-done), a read-only
// server, a hot standby, an exhausted pool. Each fails closed — the request gets 503
// store_unavailable, never a 401 for a good token, never a 200 it should not get — and recovers by
// itself. (The LISTEN connection killed with pg_terminate_backend: postgres-cache.test.ts.)
import { createServer } from 'node:http'
import type pg from 'pg'
import type { Sql } from 'postgres'
import { afterEach, describe, expect, it } from 'vitest'
import { AuthError, createAuth } from '../../src/index.js'
import type { PostgresStoreOptions } from '../../src/stores/postgres/index.js'
import { type PostgresServer, postgresBinDir, startPostgres } from '../setup/postgres.js'
import { adminOf, Cleanup, clientOf, KINDS, type Kind, storeOf, until } from './postgres-helpers.js'
import { startProxy } from './tcp-proxy.js'

const SECRET = 'postgres-faults-secret-at-least-32-bytes'
const SCHEMA = 'tokenward'
const cleanup = new Cleanup()
afterEach(() => cleanup.run())

async function server(config: Record<string, string> = {}): Promise<PostgresServer> {
  const s = await startPostgres({ config })
  cleanup.add(s.stop)
  return s
}

function instance(
  kind: Kind,
  at: string,
  options: Partial<PostgresStoreOptions> & { max?: number; statementTimeoutMs?: number } = {},
) {
  const { max = 4, statementTimeoutMs, ...rest } = options
  const client = clientOf(kind, at, cleanup, { max, ...(statementTimeoutMs ? { statementTimeoutMs } : {}) })
  const store = storeOf(client, SCHEMA, cleanup, rest)
  const auth = createAuth({ secret: SECRET, store })
  return { client, store, auth }
}

const outcome = (work: Promise<unknown>) =>
  work.then(
    () => 'ok',
    (err: unknown) => (err instanceof AuthError ? err.code : `thrown: ${String(err)}`),
  )

/** How many statements naming `what` (a table or function of the schema) wait for a lock now. */
async function waitingFor(admin: pg.Pool, what: string): Promise<number> {
  const { rows } = await admin.query(
    "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE $1",
    [`%${SCHEMA}.${what}%`],
  )
  return Number(rows[0].count)
}

/** An HTTP server answering with what `b.authenticate` decides (the status an app would send). */
async function serve(auth: ReturnType<typeof createAuth>) {
  const http = createServer((req, res) => {
    auth.authenticate({ authorization: req.headers.authorization }).then(
      () => res.writeHead(200).end(),
      (err: unknown) => res.writeHead(err instanceof AuthError ? err.status : 500).end(),
    )
  })
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve))
  cleanup.add(() => new Promise((resolve) => http.close(resolve)))
  return `http://127.0.0.1:${(http.address() as { port: number }).port}/`
}

describe.skipIf(!postgresBinDir())('postgresStore under faults', () => {
  for (const kind of KINDS) {
    it(`PostgreSQL killed and restarted under load: 503 while it is down, never 500 or a wrong answer; back to 200 by itself, revocations kept (${kind})`, async () => {
      const s = await server({ synchronous_commit: 'on' })
      const b = instance(kind, s.url, { timeoutMs: 500 })
      await b.store.migrate()
      const revoked = await b.auth.issueTokens({ sub: 'gone' })
      await b.auth.revoke(revoked.accessToken)
      const tokens = await Promise.all(
        Array.from({ length: 16 }, (_, i) => b.auth.issueTokens({ sub: `u${i}` })),
      )
      const target = await serve(b.auth)
      const seen: Record<'before' | 'during' | 'after', number[]> = { before: [], during: [], after: [] }
      let phase: keyof typeof seen = 'before'
      let loading = true
      const load = Array.from({ length: 6 }, async (_, w) => {
        for (let i = 0; loading; i++) {
          const token = tokens[(w + i) % tokens.length]!.accessToken
          const res = await fetch(target, { headers: { authorization: `Bearer ${token}` } })
          seen[phase].push(res.status)
          const bad = await fetch(target, { headers: { authorization: `Bearer ${revoked.accessToken}` } })
          seen[phase].push(bad.status === 401 ? -401 : bad.status) // -401: the revoked token refused
        }
      })
      await until(() => seen.before.length > 50, 'load before the fault')
      phase = 'during'
      await s.kill()
      await until(() => seen.during.filter((x) => x === 503).length > 10, 'requests failing closed')
      await s.start()
      await until(async () => {
        const res = await fetch(target, { headers: { authorization: `Bearer ${tokens[0]!.accessToken}` } })
        return res.status === 200
      }, 'recovery')
      phase = 'after'
      await until(() => seen.after.length > 50, 'load after the restart')
      // The cache comes back too (a successful read opens its connection again), and stays exact.
      await until(() => b.store.cacheStats().live, 'the cache to come back')
      loading = false
      await Promise.all(load)
      expect(new Set(seen.before)).toEqual(new Set([200, -401]))
      expect([...new Set(seen.during)].every((x) => x === 200 || x === -401 || x === 503)).toBe(true)
      expect(new Set(seen.after.slice(-20))).toEqual(new Set([200, -401]))
      const pair = await b.auth.issueTokens({ sub: 'later' })
      await b.auth.verifyAccessToken(pair.accessToken)
      await b.auth.revoke(pair.accessToken)
      expect(await outcome(b.auth.verifyAccessToken(pair.accessToken))).toBe('token_revoked')
    })

    // pg: the store's cancel request stops the statement at once. postgres.js: seen on PostgreSQL 15,
    // its statement blocked on a lock ignores a cancel request until the lock goes, so the client's
    // own statement_timeout (docs/postgres.md, "Timeouts") is what stops it on the server.
    it(`a statement past timeoutMs fails closed at once, and ends on the server; the store recovers when the lock goes (${kind})`, async () => {
      const s = await server()
      const admin = adminOf(s.url, cleanup)
      const b = instance(kind, s.url, {
        timeoutMs: 300,
        cache: false,
        ...(kind === 'postgres.js' ? { statementTimeoutMs: 1000 } : {}),
      })
      await b.store.migrate()
      const pair = await b.auth.issueTokens({ sub: 'slow' })
      const blocker = await admin.connect()
      cleanup.add(() => blocker.release())
      await blocker.query('BEGIN')
      await blocker.query(`LOCK TABLE ${SCHEMA}.revoked IN ACCESS EXCLUSIVE MODE`)
      expect(await outcome(b.auth.verifyAccessToken(pair.accessToken))).toBe('store_unavailable')
      // Ended on the server while the lock is still held: no statement of ours is left waiting.
      await until(
        async () => (await waitingFor(admin, 'revoked')) === 0,
        'the statement to end on the server',
      )
      await blocker.query('ROLLBACK')
      expect(await outcome(b.auth.verifyAccessToken(pair.accessToken))).toBe('ok')
    })
  }

  it('a capped session save that times out is all or nothing: cancelled, nothing kept; committed late, all of it', async () => {
    const s = await server()
    const admin = adminOf(s.url, cleanup)
    await instance('pg', s.url, { cache: false }).store.migrate()
    const t = Date.now() / 1000
    const record = (id: string, age: number) => ({
      id,
      subject: 'capped',
      createdAt: t - age,
      lastUsedAt: t - age,
      expiresAt: t + 600,
      userAgent: null,
      address: null,
    })
    const state = async () => ({
      records: (await admin.query(`SELECT id FROM ${SCHEMA}.sessions ORDER BY id`)).rows.map((r) => r.id),
      revoked: (await admin.query(`SELECT id FROM ${SCHEMA}.revoked ORDER BY id`)).rows.map((r) => r.id),
    })
    for (const kind of KINDS) {
      // Through a proxy, so that the cancel request (a new connection) can be lost on the way.
      const proxy = await startProxy(s.url)
      cleanup.add(() => proxy.close())
      await admin.query(`TRUNCATE ${SCHEMA}.sessions, ${SCHEMA}.revoked`)
      const b = instance(kind, proxy.url, { timeoutMs: 300, cache: false, max: 1, statementTimeoutMs: 1500 })
      await b.store.saveSession(record('a', 30), { maxPerSubject: 2 })
      await b.store.saveSession(record('b', 20), { maxPerSubject: 2 })
      // The save blocks inside its transaction — its record written, the oldest not ended yet.
      const blocker = await admin.connect()
      await blocker.query('BEGIN')
      await blocker.query(`LOCK TABLE ${SCHEMA}.revoked IN ACCESS EXCLUSIVE MODE`)
      await expect(b.store.saveSession(record('c', 10), { maxPerSubject: 2 }), kind).rejects.toThrow(
        /did not answer within 300 ms/,
      )
      // Ended on the server (cancelled, or by statement_timeout) while the lock is held: rolled back whole.
      await until(
        async () => (await waitingFor(admin, 'save_session')) === 0,
        'the save to end on the server',
      )
      await blocker.query('ROLLBACK')
      blocker.release()
      expect(await state(), kind).toEqual({ records: ['a', 'b'], revoked: [] })
      // Now the cancel is lost, and the lock goes before statement_timeout: the save commits late, whole.
      await b.store.getCutoff('warm') // the pool's connection is open before the proxy starts dropping
      const blocker2 = await admin.connect()
      await blocker2.query('BEGIN')
      await blocker2.query(`LOCK TABLE ${SCHEMA}.revoked IN ACCESS EXCLUSIVE MODE`)
      proxy.blackholeNew() // the cancel request (a new connection) goes nowhere
      const late = b.store.saveSession(record('d', 5), { maxPerSubject: 2 })
      await expect(late, kind).rejects.toThrow(/did not answer within 300 ms/)
      await blocker2.query('COMMIT')
      blocker2.release()
      await until(async () => (await state()).revoked.length > 0, 'the late commit')
      expect(await state(), kind).toEqual({ records: ['b', 'd'], revoked: ['a'] })
    }
  })

  for (const kind of KINDS) {
    it(`a read-only server (default_transaction_read_only): writes fail closed (503), reads answer; writable again, it works by itself (${kind})`, async () => {
      const s = await server()
      // One connection, so that once it refuses a write every later call sees the same setting.
      const b = instance(kind, s.url, { cache: false, max: 1 })
      await b.store.migrate()
      const pair = await b.auth.issueTokens({ sub: 'ro' })
      const probes = await Promise.all(Array.from({ length: 50 }, () => b.auth.issueTokens({ sub: 'probe' })))
      s.psql('ALTER SYSTEM SET default_transaction_read_only = on')
      s.psql('SELECT pg_reload_conf()')
      // Each try revokes a throw-away token: the first may still land before the reload does.
      let tries = 0
      await until(
        async () => (await outcome(b.auth.revoke(probes[tries++ % 50]!.accessToken))) === 'store_unavailable',
        'read-only',
      )
      expect(await outcome(b.auth.issueTokens({ sub: 'ro' }))).toBe('store_unavailable') // the session record
      expect(await outcome(b.auth.refresh(pair.refreshToken))).toBe('store_unavailable')
      expect(await outcome(b.auth.verifyAccessToken(pair.accessToken))).toBe('ok') // reads are current
      s.psql('ALTER SYSTEM RESET default_transaction_read_only')
      s.psql('SELECT pg_reload_conf()')
      await until(async () => (await outcome(b.auth.revoke(pair.accessToken))) === 'ok', 'writable again')
      expect(await outcome(b.auth.verifyAccessToken(pair.accessToken))).toBe('token_revoked')
    })
  }

  it('a hot standby: refused (503) — its answers may lag — and, once promoted, used by itself', async () => {
    const primary = await server()
    const seed = instance('pg', primary.url, { cache: false })
    await seed.store.migrate()
    const pair = await seed.auth.issueTokens({ sub: 'standby' })
    const standby = await startPostgres({ standbyOf: primary })
    cleanup.add(standby.stop)
    for (const kind of KINDS) {
      const b = instance(kind, standby.url)
      expect(await outcome(b.auth.verifyAccessToken(pair.accessToken)), kind).toBe('store_unavailable')
      expect(await outcome(b.auth.revoke(pair.accessToken)), kind).toBe('store_unavailable')
    }
    standby.psql('SELECT pg_promote()')
    const b = instance('postgres.js', standby.url)
    await until(async () => (await outcome(b.auth.revoke(pair.accessToken))) === 'ok', 'the promotion')
    expect(await outcome(b.auth.verifyAccessToken(pair.accessToken))).toBe('token_revoked')
  })

  for (const kind of KINDS) {
    it(`an exhausted pool: a check that needs a statement fails closed (503) within timeoutMs; a known token is still answered; freed, it recovers (${kind})`, async () => {
      const s = await server()
      const b = instance(kind, s.url, { max: 2, timeoutMs: 300 })
      await b.store.migrate()
      const known = await b.auth.issueTokens({ sub: 'known' })
      const fresh = await b.auth.issueTokens({ sub: 'fresh' })
      await b.auth.verifyAccessToken(known.accessToken)
      await until(async () => {
        await b.auth.verifyAccessToken(known.accessToken)
        return b.store.cacheStats().live
      }, 'the cache to go live')
      await b.auth.verifyAccessToken(known.accessToken)
      // The application holds every connection of its pool.
      const held: (() => void)[] = []
      if (kind === 'pg') {
        const pool = b.client as pg.Pool
        for (let i = 0; i < 2; i++) {
          const c = await pool.connect()
          let released = false
          const release = () => {
            if (!released) c.release()
            released = true
          }
          held.push(release)
          cleanup.add(release)
        }
      } else {
        const sql = b.client as Sql
        for (let i = 0; i < 2; i++) {
          const r = await sql.reserve()
          held.push(() => r.release())
          cleanup.add(() => r.release())
        }
      }
      expect(await outcome(b.auth.verifyAccessToken(fresh.accessToken))).toBe('store_unavailable')
      expect(await outcome(b.auth.revoke(fresh.accessToken))).toBe('store_unavailable')
      if (kind === 'pg') expect(await outcome(b.auth.verifyAccessToken(known.accessToken))).toBe('ok')
      for (const release of held) release()
      expect(await outcome(b.auth.verifyAccessToken(fresh.accessToken))).toBe('ok')
      await b.auth.revoke(fresh.accessToken)
      expect(await outcome(b.auth.verifyAccessToken(fresh.accessToken))).toBe('token_revoked')
      if (kind === 'pg') expect((b.client as pg.Pool).waitingCount).toBe(0)
    })
  }
})

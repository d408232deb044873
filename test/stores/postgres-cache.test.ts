// The verdict cache of postgresStore against a real PostgreSQL: a known answer costs no statement
// and is synchronous; PostgreSQL keeps it exact — a revocation committed by another instance is
// refused by the next request after its notification arrives, a read that raced a revocation never
// caches the old answer, and every doubt (the LISTEN connection killed or silent, TRUNCATE) empties
// the cache. Two createAuth instances, each with its own store and client, share one database.
import { createServer } from 'node:http'
import { afterEach, describe, expect, inject, it } from 'vitest'
import { AuthError, createAuth } from '../../src/index.js'
import type { PostgresStoreOptions } from '../../src/stores/postgres/index.js'
import { checkOf } from '../helpers.js'
import {
  adminOf,
  Cleanup,
  clientOf,
  heldComplete,
  KINDS,
  type Kind,
  migrated,
  schemaName,
  storeOf,
  until,
} from './postgres-helpers.js'
import { startProxy } from './tcp-proxy.js'

const url = inject('postgresUrl')
const SECRET = 'postgres-cache-secret-at-least-32-bytes!'
const cleanup = new Cleanup()
afterEach(() => cleanup.run())

/** One application instance: its own client, store and auth on `schema`. */
function instance(
  kind: Kind,
  schema: string,
  options: Partial<PostgresStoreOptions> & { url?: string; max?: number } = {},
) {
  const { url: at = url!, max = 4, ...rest } = options
  const store = storeOf(clientOf(kind, at, cleanup, { max }), schema, cleanup, rest)
  const auth = createAuth({ secret: SECRET, store })
  return { store, auth, stats: () => store.cacheStats() }
}

const outcome = (work: Promise<unknown>) =>
  work.then(
    () => 'ok',
    (err: unknown) => (err instanceof AuthError ? err.code : `thrown: ${String(err)}`),
  )

/** Verifies `token` once, waits for the cache to go live, and verifies again: the answer is now known. */
async function warm(b: ReturnType<typeof instance>, token: string) {
  await b.auth.verifyAccessToken(token)
  await until(() => b.stats().live, 'the cache to go live')
  await b.auth.verifyAccessToken(token)
  const [ids, cutoff] = checkOf(token)
  expect(b.store.isRevoked(ids, cutoff)).toBe(false) // a plain boolean: answered from the cache
}

describe.skipIf(!url)('postgresStore verdict cache', () => {
  it('a revocation on instance A is refused by instance B on its very next request after the notification arrives — 100 times each way, B under HTTP load', async () => {
    for (const [aKind, bKind] of [
      ['pg', 'postgres.js'],
      ['postgres.js', 'pg'],
    ] as const) {
      const schema = schemaName('pair')
      await migrated(url!, schema)
      const a = instance(aKind, schema)
      const b = instance(bKind, schema)
      const N = 100
      const pairs = await Promise.all(
        Array.from({ length: N }, (_, i) => a.auth.issueTokens({ sub: `u${i % 7}` })),
      )
      const steady = await Promise.all(
        Array.from({ length: 8 }, (_, i) => a.auth.issueTokens({ sub: `load${i}` })),
      )
      const http = createServer((req, res) => {
        b.auth.authenticate({ authorization: req.headers.authorization }).then(
          () => res.writeHead(200).end(),
          (err: AuthError) => res.writeHead(err.status ?? 500).end(),
        )
      })
      await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve))
      cleanup.add(() => new Promise((resolve) => http.close(resolve)))
      const target = `http://127.0.0.1:${(http.address() as { port: number }).port}/`
      let loading = true
      const statuses: number[] = []
      const load = Array.from({ length: 4 }, async (_, w) => {
        for (let i = 0; loading; i++) {
          const res = await fetch(target, {
            headers: { authorization: `Bearer ${steady[(w + i) % steady.length]!.accessToken}` },
          })
          statuses.push(res.status)
        }
      })
      await warm(b, pairs[0]!.accessToken)
      for (const pair of pairs) {
        const token = pair.accessToken
        const [ids, cutoff] = checkOf(token)
        await b.auth.verifyAccessToken(token)
        expect(b.store.isRevoked(ids, cutoff)).toBe(false)
        const heard = b.stats().invalidations
        await a.auth.revoke(token)
        await until(() => b.stats().invalidations > heard, 'the notification')
        expect(await outcome(b.auth.verifyAccessToken(token)), `${aKind} → ${bKind}`).toBe('token_revoked')
      }
      loading = false
      await Promise.all(load)
      expect(statuses.length).toBeGreaterThan(0)
      expect(new Set(statuses)).toEqual(new Set([200]))
      expect(b.stats().hits).toBeGreaterThan(N)
    }
  })

  it('without the cache, B refuses on the next request after A’s revoke resolved (and after revokeSubject)', async () => {
    const schema = schemaName('nocache')
    await migrated(url!, schema)
    for (const [aKind, bKind] of [
      ['pg', 'postgres.js'],
      ['postgres.js', 'pg'],
    ] as const) {
      const a = instance(aKind, schema, { cache: false })
      const b = instance(bKind, schema, { cache: false })
      for (let i = 0; i < 20; i++) {
        const pair = await a.auth.issueTokens({ sub: `n${i}` })
        expect(await outcome(b.auth.verifyAccessToken(pair.accessToken))).toBe('ok')
        await a.auth.revoke(pair.accessToken)
        expect(await outcome(b.auth.verifyAccessToken(pair.accessToken))).toBe('token_revoked')
      }
      const pair = await a.auth.issueTokens({ sub: 'everywhere' })
      expect(await outcome(b.auth.verifyAccessToken(pair.accessToken))).toBe('ok')
      await a.auth.revokeSubject('everywhere')
      expect(await outcome(b.auth.verifyAccessToken(pair.accessToken))).toBe('token_revoked')
      expect(b.stats()).toMatchObject({ enabled: false, hits: 0 })
    }
  })

  it('revokeSubject and logout of a refresh family on A reach B’s cache too', async () => {
    const schema = schemaName('subject')
    await migrated(url!, schema)
    const a = instance('pg', schema)
    const b = instance('postgres.js', schema)
    const pair = await a.auth.issueTokens({ sub: 'alice' })
    const other = await a.auth.issueTokens({ sub: 'alice' })
    await warm(b, pair.accessToken)
    await b.auth.verifyAccessToken(other.accessToken)
    const heard = b.stats().invalidations
    await a.auth.revoke(other.refreshToken) // the whole family of `other`
    await until(() => b.stats().invalidations > heard, 'the family revocation')
    expect(await outcome(b.auth.verifyAccessToken(other.accessToken))).toBe('token_revoked')
    expect(await outcome(b.auth.verifyAccessToken(pair.accessToken))).toBe('ok')
    const again = b.stats().invalidations
    await a.auth.revokeSubject('alice')
    await until(() => b.stats().invalidations > again, 'the cutoff')
    expect(await outcome(b.auth.verifyAccessToken(pair.accessToken))).toBe('token_revoked')
  })

  for (const kind of KINDS) {
    it(`a read that raced a revocation never caches the old answer (${kind})`, async () => {
      const schema = schemaName('race')
      await migrated(url!, schema)
      const proxy = await startProxy(url!)
      cleanup.add(() => proxy.close())
      // B's pool has one connection, through the proxy (the first one); its LISTEN connection comes next.
      const b = instance(kind, schema, { url: proxy.url, max: 1 })
      const a = instance('pg', schema)
      const seen = await a.auth.issueTokens({ sub: 'racer' })
      await warm(b, seen.accessToken)
      const pool = proxy.connections[0]!
      const pair = await a.auth.issueTokens({ sub: 'racer' })
      const [ids, cutoff] = checkOf(pair.accessToken)
      // The read runs to its end on the server before the revocation, and its answer is held back…
      pool.hold()
      const read = Promise.resolve(b.store.isRevoked(ids, cutoff))
      await until(() => heldComplete(pool), 'the read to run on the server')
      // …while the revocation commits and its notification reaches B.
      const heard = b.stats().invalidations
      await a.store.revoke(ids[0], Date.now() / 1000 + 600)
      await until(() => b.stats().invalidations > heard, 'the notification')
      pool.release()
      expect(await read).toBe(false) // what the read saw: the state before the revocation
      // Not remembered: the next check asks again and sees the revocation.
      const next = b.store.isRevoked(ids, cutoff)
      expect(next).toBeInstanceOf(Promise)
      expect(await next).toBe(true)
    })

    it(`a LISTEN connection killed with pg_terminate_backend empties the cache; it comes back by itself (${kind})`, async () => {
      const schema = schemaName('kill')
      await migrated(url!, schema)
      const admin = adminOf(url!, cleanup)
      const a = instance('pg', schema)
      const b = instance(kind, schema)
      const pair = await a.auth.issueTokens({ sub: 'k' })
      await warm(b, pair.accessToken)
      const flushes = b.stats().flushes
      const { rows } = await admin.query(
        `SELECT pg_terminate_backend(pid) AS killed FROM pg_stat_activity
         WHERE application_name = $1 OR query ILIKE $2`,
        [`tokenward:${schema}_changes`, `listen "${schema}_changes"`],
      )
      expect(rows).toEqual([{ killed: true }])
      await until(() => b.stats().flushes > flushes, 'the cache to empty itself')
      // Whatever was missed meanwhile, nothing stale is served: a revocation now is seen at once.
      await a.auth.revoke(pair.accessToken)
      expect(await outcome(b.auth.verifyAccessToken(pair.accessToken))).toBe('token_revoked')
      // And the cache comes back: live again, exact again.
      const next = await a.auth.issueTokens({ sub: 'k' })
      await b.auth.verifyAccessToken(next.accessToken)
      await until(async () => {
        await b.auth.verifyAccessToken(next.accessToken)
        return b.stats().live
      }, 'the cache to come back')
      await warm(b, next.accessToken)
      const heard = b.stats().invalidations
      await a.auth.revoke(next.accessToken)
      await until(() => b.stats().invalidations > heard, 'the notification')
      expect(await outcome(b.auth.verifyAccessToken(next.accessToken))).toBe('token_revoked')
    })

    it(`a silent LISTEN connection (no bytes either way) is noticed by the heartbeat: the cache empties (${kind})`, async () => {
      const schema = schemaName('silent')
      await migrated(url!, schema)
      const proxy = await startProxy(url!)
      cleanup.add(() => proxy.close())
      const b = instance(kind, schema, { url: proxy.url, max: 1, timeoutMs: 300 })
      const a = instance('pg', schema)
      const pair = await a.auth.issueTokens({ sub: 's' })
      await warm(b, pair.accessToken)
      expect(proxy.connections.length).toBeGreaterThanOrEqual(2)
      proxy.connections[1]!.blackhole() // the LISTEN connection
      await a.auth.revoke(pair.accessToken) // its notification never arrives
      await until(() => !b.stats().live, 'the heartbeat to notice')
      expect(b.stats().entries).toBe(0)
      expect(await outcome(b.auth.verifyAccessToken(pair.accessToken))).toBe('token_revoked')
    })
  }

  it('TRUNCATE empties every cache; a row written with triggers disabled lives at most maxAgeMs', async () => {
    const schema = schemaName('bypass')
    await migrated(url!, schema)
    let clock = Date.now()
    const admin = adminOf(url!, cleanup)
    const a = instance('pg', schema)
    const b = instance('postgres.js', schema, { now: () => clock, cache: { maxAgeMs: 5000 } })
    const pair = await a.auth.issueTokens({ sub: 't' })
    await warm(b, pair.accessToken)
    const flushes = b.stats().flushes
    await admin.query(`TRUNCATE ${schema}.revoked`)
    await until(() => b.stats().flushes > flushes, 'the TRUNCATE to empty the cache')
    await warm(b, pair.accessToken)
    // A write PostgreSQL does not announce: triggers off for this session (replication does this).
    const [ids] = checkOf(pair.accessToken)
    const conn = await admin.connect()
    try {
      await conn.query("SET session_replication_role = 'replica'")
      await conn.query(`INSERT INTO ${schema}.revoked (id, expires_at) VALUES ($1, $2)`, [
        ids[0],
        Date.now() / 1000 + 600,
      ])
      await conn.query("SET session_replication_role = 'origin'")
    } finally {
      conn.release()
    }
    expect(await outcome(b.auth.verifyAccessToken(pair.accessToken))).toBe('ok') // stale, within the bound
    clock += 5000
    expect(await outcome(b.auth.verifyAccessToken(pair.accessToken))).toBe('token_revoked')
  })

  it('an own revocation is refused at once by the instance that made it', async () => {
    const schema = schemaName('own')
    await migrated(url!, schema)
    const b = instance('pg', schema)
    for (let i = 0; i < 20; i++) {
      const pair = await b.auth.issueTokens({ sub: `o${i}` })
      await warm(b, pair.accessToken)
      await b.auth.revoke(pair.accessToken)
      expect(await outcome(b.auth.verifyAccessToken(pair.accessToken))).toBe('token_revoked')
    }
  })

  it('cache: false never remembers; close() ends the LISTEN connection (pg) and stops the heartbeat', async () => {
    const schema = schemaName('close')
    await migrated(url!, schema)
    const admin = adminOf(url!, cleanup)
    const b = instance('pg', schema)
    const pair = await b.auth.issueTokens({ sub: 'c' })
    await warm(b, pair.accessToken)
    const listening = async () =>
      Number(
        (
          await admin.query('SELECT count(*) FROM pg_stat_activity WHERE application_name = $1', [
            `tokenward:${schema}_changes`,
          ])
        ).rows[0].count,
      )
    expect(await listening()).toBe(1)
    await b.store.close()
    await until(async () => (await listening()) === 0, 'the LISTEN connection to close')
    expect(b.stats().live).toBe(false)
  })
})

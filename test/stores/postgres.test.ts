// postgresStore on the suite's real PostgreSQL (test/setup/global.ts), through pg and postgres.js:
// the conformance kit with its sessions section, the options, the schema and its migration, one
// statement per check, the atomic races, expiry and the sweep.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest'
import { createAuth } from '../../src/index.js'
import { postgresStore, schemaSql } from '../../src/stores/postgres/index.js'
import { runTokenStoreConformance } from '../../src/testing/index.js'
import {
  adminOf,
  Cleanup,
  callsSince,
  clientOf,
  KINDS,
  migrated,
  schemaName,
  statementCalls,
  storeOf,
  until,
} from './postgres-helpers.js'

const url = inject('postgresUrl')
const SECRET = 'postgres-test-secret-at-least-32-bytes-long'
const times = <T>(n: number, fn: (i: number) => T): T[] => Array.from({ length: n }, (_, i) => fn(i))
const sec = () => Date.now() / 1000

describe.skipIf(!url)('postgresStore', () => {
  const file = new Cleanup()
  const each = new Cleanup()
  afterEach(() => each.run())
  afterAll(() => file.run())
  const schema = schemaName('main')
  beforeAll(() => migrated(url!, schema))

  for (const kind of KINDS) {
    const client = clientOf(kind, url!, file)
    runTokenStoreConformance(() => postgresStore({ client, schema, onWarning: () => {} }), {
      name: `postgresStore (${kind}) conformance`,
      sessions: true,
      spendRefresh: true,
      cleanup: (store) => store.close?.(),
    })
  }

  describe('options', () => {
    const pool = () => clientOf('pg', url!, each)
    it('rejects an unknown option with the closest valid name', () => {
      expect(() => postgresStore({ client: pool(), timeoutMS: 100 } as never)).toThrow(
        /unknown option `timeoutMS` in postgresStore — did you mean `timeoutMs`\?/,
      )
      expect(() => postgresStore({ client: pool(), prefix: 'x' } as never)).toThrow(/unknown option `prefix`/)
      expect(() => postgresStore({ client: pool(), cache: { maxEntrys: 5 } } as never)).toThrow(
        /did you mean `maxEntries`/,
      )
    })
    it('checks every value at construction', () => {
      expect(() => postgresStore({ client: pool(), timeoutMs: Number.NaN })).toThrow(
        /`timeoutMs` must be a whole number/,
      )
      expect(() => postgresStore({ client: pool(), timeoutMs: 0 })).toThrow(/`timeoutMs`/)
      expect(() => postgresStore({ client: pool(), sweepIntervalMs: -1 })).toThrow(/`sweepIntervalMs`/)
      expect(() => postgresStore({ client: pool(), schema: 'Auth; drop' })).toThrow(
        /`schema` must be lower-case/,
      )
      expect(() => postgresStore({ client: pool(), schema: 'a'.repeat(41) })).toThrow(/at most 40/)
      expect(() => postgresStore({ client: pool(), cache: 'yes' } as never)).toThrow(
        /`cache` must be true, false/,
      )
      expect(() => postgresStore({ client: pool(), cache: { maxAgeMs: 10 } })).toThrow(/maxAgeMs/)
      expect(() => postgresStore({ client: pool(), onWarning: 'log' } as never)).toThrow(
        /`onWarning` must be a function/,
      )
    })
    it('says what to pass when the client is missing or wrong', () => {
      expect(() => postgresStore(undefined as never)).toThrow(/postgresStore needs options/)
      expect(() => postgresStore({ client: url } as never)).toThrow(/a connection string is not a client/)
      // The message goes to logs: a connection string's password is never in it.
      expect(() => postgresStore({ client: 'postgres://app:hunter2@db:5432/app' } as never)).toThrow(
        "got the string 'postgres://app:***@db:5432/app' (a connection string is not a client)",
      )
      expect(() => postgresStore({ client: {} } as never)).toThrow(
        /must be a pg Pool or a postgres.js client/,
      )
    })
  })

  describe('schema', () => {
    it('refuses to work before migrate(), saying what to run; migrate() is idempotent and safe from many callers at once', async () => {
      const fresh = schemaName('fresh')
      for (const kind of KINDS) {
        const store = storeOf(clientOf(kind, url!, each), `${fresh}_${kind === 'pg' ? 'a' : 'b'}`, each)
        await expect(store.isRevoked(['x'])).rejects.toThrow(
          /schema "tw_fresh_.*" is missing .* store\.migrate\(\)/,
        )
        await expect(store.ready()).rejects.toThrow(/store\.migrate\(\)/)
        await Promise.all(times(5, () => store.migrate()))
        await store.migrate()
        await store.ready()
        expect(await store.isRevoked(['x'])).toBe(false)
      }
      const admin = adminOf(url!, each)
      const { rows } = await admin.query(`SELECT version FROM ${fresh}_a.schema_version`)
      expect(rows).toEqual([{ version: 1 }])
    })

    it('docs/postgres.md gives the exact SQL migrate() runs', () => {
      const doc = readFileSync(join(import.meta.dirname, '../../docs/postgres.md'), 'utf8')
      const block = /```sql\n(-- tokenward schema "tokenward", migration 1\n[\s\S]*?)```/.exec(doc)
      expect(block, 'a ```sql block with the schema in docs/postgres.md').not.toBeNull()
      expect(block![1]).toBe(schemaSql('tokenward'))
    })

    it('the SQL of the docs creates a schema the store accepts, run as plain SQL', async () => {
      const admin = adminOf(url!, each)
      const name = schemaName('plain')
      await admin.query(schemaSql(name))
      await admin.query(schemaSql(name)) // twice: nothing happens the second time
      const store = storeOf(admin, name, each)
      await store.ready()
      await store.revoke('id', sec() + 60)
      expect(await store.isRevoked(['id'])).toBe(true)
    })
  })

  describe('one statement per call', () => {
    for (const kind of KINDS) {
      it(`checks token, family and cutoff in ONE statement on a cache miss, and none on a hit (${kind})`, async () => {
        const admin = adminOf(url!, each)
        const name = schemaName('trips')
        await migrated(url!, name)
        const client = clientOf(kind, url!, each)
        for (const cache of [false, true]) {
          const store = storeOf(client, name, each, { cache })
          const auth = createAuth({ secret: SECRET, store })
          const pair = await auth.issueTokens({ sub: 'u1' })
          await store.ready()
          if (cache) {
            // The first check opens the LISTEN connection; once it is live, the next one is remembered.
            await auth.verifyAccessToken(pair.accessToken)
            await until(() => store.cacheStats().live, 'the cache to go live')
            await auth.verifyAccessToken(pair.accessToken)
          }
          const before = await statementCalls(admin, name)
          const n = 20
          for (let i = 0; i < n; i++) await auth.verifyAccessToken(pair.accessToken)
          const ran = callsSince(before, await statementCalls(admin, name))
          if (cache) expect([...ran.values()], kind).toEqual([])
          else {
            expect([...ran.values()], kind).toEqual([n])
            expect([...ran.keys()][0]).toMatch(/FROM tw_trips_\w+\.revoked[\s\S]*FROM tw_trips_\w+\.cutoffs/)
          }
        }
      })
    }
  })

  describe('races against a real server', () => {
    for (const kind of KINDS) {
      it(`50 concurrent refresh presentations: exactly one rotates; 25 concurrent hits get 25 distinct counts (${kind})`, async () => {
        const store = storeOf(clientOf(kind, url!, each), schema, each)
        const family = `fam-${Math.random()}`
        const spend = {
          family,
          generation: 0,
          subject: 'racer',
          ids: ['jti-0', family],
          issuedAt: sec(),
          expiresAt: sec() + 600,
          now: Date.now(),
          graceSeconds: 0,
          graceRetries: 0,
        }
        const verdicts = await Promise.all(times(50, () => store.spendRefresh(spend)))
        expect(verdicts.filter((v) => v === 'rotate')).toHaveLength(1)
        expect(verdicts.filter((v) => v === 'reused')).toHaveLength(49)
        const consumed = await Promise.all(times(50, () => store.consume(`c-${family}`, sec() + 60)))
        expect(consumed.filter(Boolean)).toHaveLength(1)
        const key = `login:${family}`
        const counts = await Promise.all(times(25, () => store.hit(key, 60)))
        expect([...counts].sort((a, b) => a - b)).toEqual(times(25, (i) => i + 1))
      })
    }
  })

  describe('expiry', () => {
    it('ignores expired rows in every query, and the sweep deletes them in batches', async () => {
      let clock = Date.now()
      const name = schemaName('sweep')
      await migrated(url!, name)
      const admin = adminOf(url!, each)
      const store = storeOf(admin, name, each, { now: () => clock, cache: false, sweepIntervalMs: 0 })
      const t = clock / 1000
      await Promise.all(times(1200, (i) => store.revoke(`r${i}`, t + 10)))
      await store.setCutoff('u', t, t + 10)
      await store.consume('c', t + 10)
      await store.hit('h', 10)
      await store.saveSession({
        id: 's',
        subject: 'u',
        createdAt: t,
        lastUsedAt: t,
        expiresAt: t + 10,
        userAgent: null,
        address: null,
      })
      await store.spendRefresh({
        family: 'f',
        generation: 0,
        subject: 'u',
        ids: [],
        issuedAt: t + 1,
        expiresAt: t + 10,
        now: clock,
        graceSeconds: 0,
        graceRetries: 0,
      })
      await store.revoke('late', t + 100)
      expect(await store.sweep()).toBe(0)
      clock += 11_000
      expect(await store.isRevoked(['r1'], { subject: 'u', issuedAt: 0 })).toBe(false)
      expect(await store.getCutoff('u')).toBeNull()
      expect(await store.consume('c', t + 100)).toBe(true)
      expect(await store.hit('h', 10, 0)).toBe(0)
      expect(await store.listSessions('u')).toEqual([])
      expect(await store.spentGeneration('f', 'u')).toBeNull()
      // 1200 + 1 expired revocations: three rounds of 500 for that table; nothing live goes.
      const count = async (table: string) =>
        Number((await admin.query(`SELECT count(*) FROM ${name}.${table}`)).rows[0].count)
      expect(await count('revoked')).toBe(1201)
      expect(await store.sweep()).toBe(1200 + 4) // revocations, the cutoff, the counter, the record, the family
      expect(await count('revoked')).toBe(1)
      expect(await store.isRevoked(['late'])).toBe(true)
      const { rows } = await admin.query(`SELECT * FROM ${name}.sweep()`)
      expect(rows).toEqual([{ deleted: 0, more: false }])
    })
  })
})

// Session records on a real Redis and a real 3-master Redis Cluster (test/setup/global.ts): the
// conformance section runs in redis.test.ts and redis-cluster.test.ts; here, what is particular to
// Redis — the keys, their hash tag and TTLs, pruning without HEXPIRE, several app instances, and a
// record Redis holds that tokenward cannot read.
import { Cluster, Redis } from 'ioredis'
import { createClient } from 'redis'
import { afterAll, afterEach, describe, expect, inject, it, vi } from 'vitest'
import { createAuth } from '../../src/index.js'
import { redisStore } from '../../src/stores/redis/index.js'
import type { SessionRecord } from '../../src/stores/types.js'

const url = inject('redisUrl')
const nodes = inject('redisCluster')
const SECRET = 'redis-sessions-secret-at-least-32-bytes'
const runId = Math.random().toString(36).slice(2)
const quiet = () => {}
const fidOf = (token: string) =>
  JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()).fid as string

describe.skipIf(!url)('redisStore session records', () => {
  const client = createClient({ url: url! })
  client.on('error', () => {})
  const ready = client.connect()
  afterAll(async () => {
    await client.quit()
  })
  afterEach(() => {
    vi.restoreAllMocks()
  })
  const storeAt = (name: string) =>
    redisStore({ client, prefix: `tw-sessions:${runId}:${name}:`, onWarning: quiet })

  it("keeps a subject's records in three keys under the subject's own hash tag, each expiring with its latest session", async () => {
    await ready
    const prefix = `tw-sessions:${runId}:keys:`
    const store = redisStore({ client, prefix, onWarning: quiet })
    const auth = createAuth({ secret: SECRET, store })
    const pair = await auth.issueTokens({ sub: 'alice' }, { userAgent: 'Firefox', address: '2001:db8::7' })
    await auth.refresh(pair.refreshToken)
    await store.setCutoff('alice', Date.now() / 1000, Date.now() / 1000 + 600)
    const keys = ((await client.keys(`${prefix}*`)) as string[]).sort()
    // Records, spent mark and cutoff: one Cluster slot (the refresh retry counter is keyed apart).
    const tags = new Set(keys.filter((k) => !k.includes('}:h:')).map((k) => /\{([^}]*)\}/.exec(k)![1]))
    expect(tags.size).toBe(1)
    const sessionKeys = keys.filter((k) => /:s[irl]:alice$/.test(k))
    expect(sessionKeys).toHaveLength(3)
    const family = Date.now() + (7 * 86400 + 5) * 1000
    for (const k of sessionKeys) {
      const pttl = await client.pTTL(k)
      expect(pttl).toBeGreaterThan(0)
      expect(Date.now() + pttl).toBeLessThanOrEqual(family + 2000)
    }
    // The address is kept as its /64 only, nowhere in full.
    const dump = JSON.stringify(await client.hGetAll(sessionKeys.find((k) => k.includes(':sr:'))!))
    expect(dump).toContain('2001:db8:0:0::/64')
    expect(dump).not.toContain('2001:db8::7')
  })

  it('prunes expired records from all three keys when the list is read or a record saved (no HEXPIRE on 7.0)', async () => {
    await ready
    const store = storeAt('prune')
    const t = Date.now()
    const record = (id: string, expiresAt: number): SessionRecord => ({
      id,
      subject: 'bob',
      createdAt: t / 1000,
      lastUsedAt: t / 1000,
      expiresAt,
      userAgent: null,
      address: null,
    })
    await store.saveSession!(record('short', Math.floor(t / 1000) + 30))
    await store.saveSession!(record('long', Math.floor(t / 1000) + 600))
    const keys = (await client.keys(`tw-sessions:${runId}:prune:*`)) as string[]
    const index = keys.find((k) => k.includes(':si:'))!
    const records = keys.find((k) => k.includes(':sr:'))!
    const listing = keys.find((k) => k.includes(':sl:'))!
    expect(await client.zCard(index)).toBe(2)
    expect(await client.zCard(listing)).toBe(2)
    expect(await client.hLen(records)).toBe(6)
    // A minute later (the clock the store sends with each script), "short" has expired.
    vi.spyOn(Date, 'now').mockReturnValue(t + 60_000)
    expect((await store.listSessions!('bob')).map((r) => r.id)).toEqual(['long'])
    expect(await client.zCard(index)).toBe(1)
    expect(await client.zCard(listing)).toBe(1)
    expect(await client.hLen(records)).toBe(3)
  })

  it('prunes at most 100 expired records per call, so no script grows with a subject’s records', async () => {
    await ready
    let now = Date.now()
    const prefix = `tw-sessions:${runId}:batch:`
    const store = redisStore({ client, prefix, onWarning: quiet, now: () => now })
    const t = now / 1000
    const record = (id: string, expiresAt: number): SessionRecord => ({
      id,
      subject: 'erin',
      createdAt: t,
      lastUsedAt: t,
      expiresAt,
      userAgent: null,
      address: null,
    })
    await Promise.all(Array.from({ length: 250 }, (_, i) => store.saveSession!(record(`old-${i}`, t + 30))))
    const index = ((await client.keys(`${prefix}*:si:erin`)) as string[])[0]!
    expect(await client.zCard(index)).toBe(250)
    now += 60_000 // by the store's clock, all 250 have expired (Redis keeps the keys: their PXAT is later)
    await store.saveSession!(record('new', t + 600))
    expect(await client.zCard(index)).toBe(151)
    expect((await store.listSessions!('erin')).map((r) => r.id)).toEqual(['new'])
    expect(await client.zCard(index)).toBe(51)
    expect(await store.listSessions!('erin', { limit: 5 })).toHaveLength(1)
    expect(await client.zCard(index)).toBe(1)
  })

  it('enforces a session revoked on one instance on every other, and lists it on none', async () => {
    await ready
    const prefix = `tw-sessions:${runId}:two:`
    const io = new Redis(url!)
    io.on('error', () => {})
    try {
      const a = createAuth({ secret: SECRET, store: redisStore({ client, prefix, onWarning: quiet }) })
      const b = createAuth({ secret: SECRET, store: redisStore({ client: io, prefix, onWarning: quiet }) })
      const laptop = await a.issueTokens({ sub: 'carol' }, { userAgent: 'Laptop' })
      const phone = await b.issueTokens({ sub: 'carol' }, { userAgent: 'Phone' })
      expect((await b.listSessions('carol')).map((s) => s.userAgent)).toEqual(['Phone', 'Laptop'])
      await b.verifyAccessToken(laptop.accessToken)
      await a.revokeSession('carol', fidOf(laptop.accessToken))
      await expect(b.verifyAccessToken(laptop.accessToken)).rejects.toMatchObject({ code: 'token_revoked' })
      await expect(b.refresh(laptop.refreshToken)).rejects.toMatchObject({ code: 'token_revoked' })
      expect((await b.listSessions('carol')).map((s) => s.id)).toEqual([fidOf(phone.accessToken)])
      await b.verifyAccessToken(phone.accessToken)
    } finally {
      io.disconnect()
    }
  })

  it('fails closed on a record it cannot read (503), rather than hide a session', async () => {
    await ready
    const prefix = `tw-sessions:${runId}:garbage:`
    const auth = createAuth({ secret: SECRET, store: redisStore({ client, prefix, onWarning: quiet }) })
    const pair = await auth.issueTokens({ sub: 'dave' })
    const records = ((await client.keys(`${prefix}*:sr:dave`)) as string[])[0]!
    await client.hSet(records, `d:${fidOf(pair.accessToken)}`, '{not json')
    await expect(auth.listSessions('dave')).rejects.toMatchObject({ code: 'store_unavailable', status: 503 })
  })
})

describe.skipIf(!nodes)('redisStore session records on Redis Cluster', () => {
  const io = new Cluster(nodes ?? [])
  io.on('error', () => {})
  afterAll(() => {
    io.disconnect()
  })

  it('lists, revokes one and revokes the others for users spread over every master', async () => {
    const prefix = `tw-sessions-cluster:${runId}:`
    const auth = createAuth({ secret: SECRET, store: redisStore({ client: io, prefix, onWarning: quiet }) })
    const users = Array.from({ length: 12 }, (_, i) => `user-${i}`)
    for (const sub of users) {
      const [current, other, third] = [
        await auth.issueTokens({ sub }),
        await auth.issueTokens({ sub }),
        await auth.issueTokens({ sub }),
      ]
      expect(await auth.listSessions(sub)).toHaveLength(3)
      await auth.revokeSession(sub, fidOf(third.accessToken))
      expect(await auth.revokeOtherSessions(sub, fidOf(current.accessToken))).toEqual([
        fidOf(other.accessToken),
      ])
      expect((await auth.listSessions(sub, fidOf(current.accessToken))).map((s) => s.current)).toEqual([true])
      await expect(auth.verifyAccessToken(other.accessToken)).rejects.toMatchObject({ code: 'token_revoked' })
      await auth.verifyAccessToken(current.accessToken)
    }
    const perMaster = await Promise.all(
      io
        .nodes('master')
        .map(async (node) => ((await node.call('KEYS', `${prefix}*:si:*`)) as string[]).length),
    )
    expect(perMaster.reduce((a, b) => a + b, 0)).toBe(users.length)
    expect(perMaster.every((n) => n > 0)).toBe(true)
  })
})

// spendRefresh and the capped saveSession of redisStore against real redis-servers (each test
// starts its own, so its command counters, configuration and faults belong to it): one EVAL per
// presentation and per save, counted by the server itself (MONITOR tells a client's commands from
// a script's), and the fault behaviour of every other write — a timeout on our side that still
// executes, OOM, a read-only replica: the call rejects, and nothing is half-done.
import { Redis } from 'ioredis'
import { createClient } from 'redis'
import { afterEach, describe, expect, it } from 'vitest'
import { type RedisStoreOptions, redisStore } from '../../src/stores/redis/index.js'
import type { RefreshSpend, SessionRecord } from '../../src/stores/types.js'
import { type RedisServer, redisServerBin, type StartRedisOptions, startRedis } from '../setup/redis.js'

const quiet = () => {}
type Client = RedisStoreOptions['client']

const cleanups: (() => Promise<unknown> | unknown)[] = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

async function server(options: StartRedisOptions = {}): Promise<RedisServer> {
  const s = await startRedis(options)
  cleanups.push(s.stop)
  return s
}

/** A node-redis and an ioredis client on `url`, closed after the test. */
async function clientsOf(url: string): Promise<[string, Client][]> {
  const nr = createClient({ url, socket: { reconnectStrategy: false } })
  nr.on('error', () => {})
  await nr.connect()
  const io = new Redis(url, { maxRetriesPerRequest: 0, retryStrategy: () => null })
  io.on('error', () => {})
  cleanups.push(
    () => nr.destroy(),
    () => io.disconnect(),
  )
  return [
    ['node-redis', nr],
    ['ioredis', io],
  ]
}

async function admin(url: string) {
  const io = new Redis(url, { maxRetriesPerRequest: 0 })
  io.on('error', () => {})
  cleanups.push(() => io.disconnect())
  return io
}

const sec = () => Date.now() / 1000
const spendOf = (family: string, generation: number, extra: Partial<RefreshSpend> = {}): RefreshSpend => ({
  family,
  generation,
  subject: 'u1',
  ids: [`jti-${family}-${generation}`, family],
  issuedAt: sec() - 1,
  expiresAt: sec() + 600,
  now: Date.now(),
  graceSeconds: 10,
  graceRetries: 2,
  ...extra,
})
const recordOf = (id: string, createdAt = sec()): SessionRecord => ({
  id,
  subject: 'u1',
  createdAt,
  lastUsedAt: createdAt,
  expiresAt: sec() + 600,
  userAgent: null,
  address: null,
})

/** The commands clients send while `work` runs, as Redis's MONITOR sees them (a script's own are left out). */
async function sentDuring(url: string, work: () => Promise<unknown>): Promise<string[]> {
  const io = await admin(url)
  // The admin connection's own ready check (an INFO) must be over before the monitor starts.
  await io.ping()
  const monitor = await io.monitor()
  cleanups.push(() => monitor.disconnect())
  const seen: string[] = []
  monitor.on('monitor', (_time: string, args: string[], source: string) => {
    if (source !== 'lua') seen.push(String(args[0]).toUpperCase())
  })
  await work()
  // An ECHO through the monitored server after the work: every command before it has been shown.
  const marker = `marker-${Math.random()}`
  await io.echo(marker)
  await expect.poll(() => seen.includes('ECHO'), { timeout: 5000 }).toBe(true)
  return seen.slice(0, seen.indexOf('ECHO'))
}

describe.skipIf(!redisServerBin())('redisStore spendRefresh and capped sessions', () => {
  it('a presentation is ONE EVAL, whatever the verdict; a save past the cap, a page, getSession and delete one command each', async () => {
    const s = await server()
    for (const [name, client] of await clientsOf(s.url)) {
      const store = redisStore({ client, onWarning: quiet, cache: false, prefix: `${name}:` })
      await store.ready() // the once-per-store server check is not on the request path
      const family = `fid-${name}`
      await store.saveSession!(recordOf(family))
      const touch = { lastUsedAt: sec(), expiresAt: sec() + 900 }
      const verdicts: string[] = []
      for (const spend of [
        spendOf(family, 0, { touch }),
        spendOf(family, 0, { touch }),
        spendOf(family, 0, { touch }),
        spendOf(family, 0, { touch }),
      ])
        expect(
          await sentDuring(s.url, async () => verdicts.push(await store.spendRefresh!(spend))),
          name,
        ).toEqual(['EVAL'])
      expect(verdicts, name).toEqual(['rotate', 'retry', 'retry', 'reused'])
      await store.revoke(family, sec() + 600, 'u1')
      expect(await sentDuring(s.url, () => store.spendRefresh!(spendOf(family, 1))), name).toEqual(['EVAL'])
      expect(await store.spendRefresh!(spendOf(family, 1)), name).toBe('revoked')
      expect(await sentDuring(s.url, () => store.spentGeneration!(family, 'u1')), name).toEqual(['GET'])
      const cap = () => store.saveSession!(recordOf(`fid-${name}-new`), { maxPerSubject: 1 })
      expect(await sentDuring(s.url, cap), name).toEqual(['EVAL'])
      expect(await store.getSession!('u1', family), name).toBeNull()
      for (const call of [
        () => store.listSessions!('u1', { limit: 10 }),
        () => store.getSession!('u1', `fid-${name}-new`),
        () => store.deleteSession!('u1', `fid-${name}-new`),
      ])
        expect(await sentDuring(s.url, call), name).toEqual(['EVAL'])
      expect(await sentDuring(s.url, () => store.deleteSessions!('u1')), name).toEqual(['UNLINK'])
    }
    // And as Redis counts its commands: 1 EVAL per presentation, no EVALSHA, nothing else sent.
    const io = await admin(s.url)
    const [, client] = (await clientsOf(s.url))[0]!
    const store = redisStore({ client, onWarning: quiet, cache: false, prefix: 'count:' })
    await store.ready()
    const calls = (info: string, cmd: string) =>
      Number(new RegExp(`^cmdstat_${cmd}:calls=(\\d+)`, 'm').exec(info)?.[1] ?? 0)
    const start = await io.info('commandstats')
    for (let g = 0; g < 10; g++) await store.spendRefresh!(spendOf('fid-count', g))
    const end = await io.info('commandstats')
    expect(calls(end, 'eval') - calls(start, 'eval')).toBe(10)
    expect(calls(end, 'evalsha') - calls(start, 'evalsha')).toBe(0)
  })

  it('a presentation whose answer timed out on our side still ran: the retry continues the chain', async () => {
    const s = await server()
    for (const [name, client] of await clientsOf(s.url)) {
      const store = redisStore({ client, onWarning: quiet, timeoutMs: 200, prefix: `${name}:` })
      await store.ready()
      await (await admin(s.url)).call('CLIENT', 'PAUSE', '600', 'WRITE')
      await expect(store.spendRefresh!(spendOf('fid-t', 0)), name).rejects.toThrow(
        'did not answer within 200 ms',
      )
      // The script ran once the pause ended: the generation is spent, and the client's retry is a retry.
      await expect.poll(() => store.spentGeneration!('fid-t', 'u1'), { timeout: 5000 }).toBe(0)
      expect(await store.spendRefresh!(spendOf('fid-t', 0)), name).toBe('retry')
    }
  })

  it('out of memory (maxmemory 1): a presentation and a capped save reject, and nothing is written', async () => {
    const s = await server()
    for (const [name, client] of await clientsOf(s.url)) {
      const store = redisStore({ client, onWarning: quiet, prefix: `${name}:` })
      await store.saveSession!(recordOf(`old-${name}`, sec() - 60))
      await store.ready()
      const io = await admin(s.url)
      await io.config('SET', 'maxmemory', '1')
      try {
        await expect(store.spendRefresh!(spendOf(`fid-${name}`, 0)), name).rejects.toThrow(/OOM/)
        // Even a verdict that writes nothing is refused: the script is refused whole, before it starts.
        await expect(store.saveSession!(recordOf(`new-${name}`), { maxPerSubject: 1 }), name).rejects.toThrow(
          /OOM/,
        )
        expect(await store.spentGeneration!(`fid-${name}`, 'u1'), name).toBeNull()
        expect(await store.getSession!('u1', `old-${name}`), name).not.toBeNull()
        expect(await store.isRevoked([`old-${name}`], { subject: 'u1', issuedAt: 0 }), name).toBe(false)
      } finally {
        await io.config('SET', 'maxmemory', '0')
      }
      expect(await store.spendRefresh!(spendOf(`fid-${name}`, 0)), name).toBe('rotate')
    }
  })

  it('a read-only replica (READONLY): a presentation and every session write reject, never resolve', async () => {
    const primary = await server()
    const replica = await server({ config: { replicaof: ['127.0.0.1', String(primary.port)] } })
    for (const [name, client] of await clientsOf(replica.url)) {
      const store = redisStore({ client, onWarning: quiet })
      for (const write of [
        () => store.spendRefresh!(spendOf('fid-r', 0)),
        () => store.saveSession!(recordOf('fid-s'), { maxPerSubject: 1 }),
        () => store.touchSession!('u1', 'fid-s', sec(), sec() + 600),
        () => store.deleteSession!('u1', 'fid-s'),
        () => store.listSessions!('u1', { limit: 5 }),
      ])
        await expect(write(), name).rejects.toThrow(/READONLY/)
    }
  })
})

// The verdict cache engine (src/stores/verdict-cache/) on its own, against an in-memory server
// whose every step — a read executing, its reply arriving, a write, an announcement arriving, a
// connection lost, its loss noticed, the link opening and proving itself — is scheduled by
// fast-check in any order. The rule it must keep, the one whose failure is a stale "not revoked":
// once every write of a key has been announced to the cache (or the cache was emptied after it),
// whatever the cache answers for that key is what the server holds now — and an own write is
// known as soon as it is answered. The stores' own tests on
// real Redis and PostgreSQL (redis-cache*.test.ts, postgres-cache.test.ts, the fault tests) cover
// the sources; this covers the orderings no real server produces on demand.
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  type ChangeEvents,
  type Channel,
  type InvalidationSource,
  type Kind,
  type Read,
  Shelf,
  VerdictCache,
} from '../../src/stores/verdict-cache/index.js'

const REVOCATIONS = ['r0', 'r1']
const CUTOFFS = ['c0', 'c1']
const FAR = Date.UTC(2030, 0, 1)
const NOW = Date.UTC(2026, 0, 1)

/** What the server holds: a revocation mark, or a cutoff's instant (epoch s). */
type Value = { at: number } | null

/** One connection of the fake source. */
interface FakeChannel {
  events: ChangeEvents
  lost: boolean
  closed: boolean
}

/**
 * The server and its announcements. `uncovered` holds the writes the cache may not know of yet:
 * one leaves when its announcement is handled, and all leave when the cache is emptied (the
 * link dropped a connection, or a new one was proven: the cache empties itself before it serves).
 */
class World {
  readonly truth = new Map<string, Value>()
  readonly uncovered = new Map<number, readonly string[]>()
  current: FakeChannel | undefined
  private writes = 0

  constructor(private readonly s: fc.Scheduler) {}

  /** A write executed on the server now, announced on the current connection (if any is healthy); its id. */
  write(keys: readonly string[], value: Value | 'flushall'): number {
    for (const key of keys) this.truth.set(key, value === 'flushall' ? null : value)
    const id = ++this.writes
    this.uncovered.set(id, keys)
    const channel = this.current
    if (channel === undefined || channel.lost || channel.closed) return id // unannounced
    void this.s.schedule(Promise.resolve(), `announce #${id} ${keys.join(',')}`).then(() => {
      if (channel.lost || channel.closed) return // a dead connection delivers nothing
      if (value === 'flushall') channel.events.changedAll()
      else for (const key of keys) channel.events.changed(key, kindOf(key))
      this.uncovered.delete(id)
    })
    return id
  }

  /** The current connection dies: nothing more arrives on it, and its loss is noticed later. */
  lose(): void {
    const channel = this.current
    if (channel === undefined || channel.lost || channel.closed) return
    channel.lost = true
    void this.s.schedule(Promise.resolve(), 'loss noticed').then(() => channel.events.closed())
  }

  source(): InvalidationSource {
    return {
      name: 'the fake connection',
      usable: () => true,
      setupWarning: () => undefined,
      open: (events) =>
        this.s.schedule(Promise.resolve(), 'registered').then((): Channel => {
          const channel: FakeChannel = { events, lost: false, closed: false }
          this.current = channel
          return {
            prove: () =>
              this.s.schedule(Promise.resolve(), 'proven').then(() => {
                if (channel.lost || channel.closed) throw new Error('the probe never came back')
                this.uncovered.clear() // the cache empties itself before it serves
              }),
            heartbeat: () => Promise.resolve(),
            close: () => {
              // The link drops a connection only after emptying the cache.
              channel.closed = true
              this.uncovered.clear()
            },
          }
        }),
    }
  }
}

const kindOf = (key: string): Kind => (key.startsWith('c') ? 'cutoff' : 'revocation')

/** Every key whose writes are all covered answers what the server holds (or does not answer). */
function checkExact(cache: VerdictCache, world: World): void {
  const unsafe = new Set([...world.uncovered.values()].flat())
  for (const key of REVOCATIONS) {
    if (unsafe.has(key)) continue
    const answer = cache.answer([key], 1, undefined, undefined)
    if (answer !== undefined)
      expect(answer, `${key} answered from the cache`).toBe(Boolean(world.truth.get(key)))
  }
  for (const key of CUTOFFS) {
    if (unsafe.has(key)) continue
    const truth = world.truth.get(key)
    for (const issuedAt of [5, 15, 25]) {
      const answer = cache.answer([], 0, key, issuedAt)
      if (answer !== undefined)
        expect(answer, `${key} at ${issuedAt} answered from the cache`).toBe(
          Boolean(truth && issuedAt <= truth.at),
        )
    }
  }
}

type Op =
  | { t: 'read'; ids: string[]; cutoff: string | undefined; followUp: boolean; fail: boolean }
  | { t: 'write'; key: string; value: Value }
  | { t: 'own'; key: string; value: Value; fail: boolean }
  | { t: 'lose' }
  | { t: 'flushall' }

const valueArb = fc.oneof(fc.constant(null), fc.constantFrom({ at: 10 }, { at: 20 }))
const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      t: fc.constant('read' as const),
      ids: fc.subarray(REVOCATIONS, { minLength: 1, maxLength: 2 }),
      cutoff: fc.option(fc.constantFrom(...CUTOFFS), { nil: undefined }),
      followUp: fc.boolean(),
      fail: fc.boolean().map((b) => b && Math.random() < 0.3),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      t: fc.constant('write' as const),
      key: fc.constantFrom(...REVOCATIONS, ...CUTOFFS),
      value: valueArb,
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      t: fc.constant('own' as const),
      key: fc.constantFrom(...REVOCATIONS, ...CUTOFFS),
      value: valueArb,
      fail: fc.boolean(),
    }),
  },
  { weight: 1, arbitrary: fc.constant({ t: 'lose' as const }) },
  { weight: 1, arbitrary: fc.constant({ t: 'flushall' as const }) },
)

/** Starts `op` on the cache and the world; the scheduler decides when each of its steps happens. */
function start(op: Op, cache: VerdictCache, world: World, s: fc.Scheduler): Promise<unknown> {
  const step = <T>(value: T, label: string) => s.schedule(Promise.resolve(value), label)
  switch (op.t) {
    case 'read': {
      const keys = op.cutoff === undefined ? op.ids : [...op.ids, op.cutoff]
      // The read executes on the server at one point, and its reply arrives at a later one.
      const run = () =>
        step(null, `read ${keys.join(',')} executes`).then(() => {
          if (op.fail) throw new Error('the read failed')
          return step(
            keys.map((key) => world.truth.get(key) ?? null),
            `read ${keys.join(',')} answered`,
          )
        })
      const learn = (values: Value[], read: Read) => {
        const later: Promise<unknown>[] = []
        values.forEach((value, i) => {
          const key = keys[i]!
          const found = value === null ? null : { at: value.at, expiresAt: FAR }
          // Redis reads a present value's expiry with a second command before it keeps it.
          if (found !== null && op.followUp && cache.mayKeep(read, kindOf(key), key))
            later.push(step(null, `expiry of ${key}`).then(() => cache.keep(read, kindOf(key), key, found)))
          else cache.keep(read, kindOf(key), key, found)
        })
        return later.length === 0 ? undefined : Promise.all(later)
      }
      return cache.fetch(op.ids, op.ids.length, op.cutoff, run, learn).catch(() => {})
    }
    case 'write':
      return step(null, `write ${op.key}`).then(() => world.write([op.key], op.value))
    case 'own': {
      // Rule 3: once an own write is answered, this cache knows it, announced or not.
      let id: number | undefined
      return cache
        .write(kindOf(op.key), op.key, () =>
          step(null, `own write ${op.key} executes`).then(() => {
            if (op.fail) throw new Error('the write failed')
            id = world.write([op.key], op.value)
            return step('OK', `own write ${op.key} answered`)
          }),
        )
        .then(
          () => world.uncovered.delete(id!),
          () => {},
        )
    }
    case 'lose':
      return step(null, 'connection lost').then(() => world.lose())
    case 'flushall':
      return step(null, 'FLUSHALL').then(() => world.write([...REVOCATIONS, ...CUTOFFS], 'flushall'))
  }
}

describe('the verdict cache engine, every interleaving', () => {
  it('never answers from the cache what the server no longer holds, once the change was announced (or the cache emptied)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.scheduler(),
        fc.array(fc.array(opArb, { minLength: 1, maxLength: 8 }), { minLength: 1, maxLength: 4 }),
        fc.constantFrom('in all' as const, 'each' as const),
        fc.integer({ min: 1, max: 6 }),
        fc.boolean(),
        async (s, phases, bound, maxEntries, failureIsDoubt) => {
          const world = new World(s)
          const cache = new VerdictCache({
            source: world.source(),
            maxEntries,
            bound,
            maxAgeMs: 60_000,
            now: () => NOW,
            timeoutMs: 60_000,
            failureIsDoubt,
            warn: () => {},
            backoff: { firstMs: 0, maxMs: 0 },
          })
          try {
            // A first read wakes the link; then each phase's operations run at once, interleaved.
            const warm: Op = { t: 'read', ids: ['r0'], cutoff: 'c0', followUp: false, fail: false }
            for (const ops of [[warm], ...phases]) {
              const running = Promise.all(ops.map((op) => start(op, cache, world, s)))
              while (s.count() > 0) {
                await s.waitOne()
                checkExact(cache, world)
              }
              await running
              checkExact(cache, world)
            }
          } finally {
            cache.release()
          }
        },
      ),
      { numRuns: 1500 },
    )
  })

  it('serves nothing before its link is proven, and nothing after a loss is noticed', async () => {
    let open: (channel: Channel) => void = () => {}
    let events: ChangeEvents | undefined
    const cache = new VerdictCache({
      source: {
        name: 'the fake connection',
        usable: () => true,
        setupWarning: () => undefined,
        open: (e) => {
          events = e
          return new Promise((resolve) => (open = resolve))
        },
      },
      maxEntries: 10,
      bound: 'in all',
      maxAgeMs: 60_000,
      now: () => NOW,
      timeoutMs: 60_000,
      failureIsDoubt: false,
      warn: () => {},
      backoff: { firstMs: 0, maxMs: 0 },
    })
    const read = () =>
      cache.fetch(
        ['r0'],
        1,
        undefined,
        async () => [null],
        (_values, r) => {
          cache.keep(r, 'revocation', 'r0', null)
          return undefined
        },
      )
    await read() // wakes the link: it is opening now
    await read()
    expect(cache.answer(['r0'], 1, undefined, undefined)).toBeUndefined()
    open({ prove: async () => {}, heartbeat: async () => {}, close: () => {} })
    await new Promise((resolve) => setImmediate(resolve))
    expect(cache.stats()).toMatchObject({ live: true, entries: 0 }) // reads before it keep nothing
    await read()
    expect(cache.answer(['r0'], 1, undefined, undefined)).toBe(false)
    events!.closed()
    expect(cache.stats()).toMatchObject({ live: false, entries: 0 })
    expect(cache.answer(['r0'], 1, undefined, undefined)).toBeUndefined()
    cache.release()
  })

  it('keeps an answer at most maxAgeMs from when its read was sent, and a present one no longer than its key', async () => {
    let now = NOW
    const cache = new VerdictCache({
      source: {
        name: 'the fake connection',
        usable: () => true,
        setupWarning: () => undefined,
        open: async () => ({ prove: async () => {}, heartbeat: async () => {}, close: () => {} }),
      },
      maxEntries: 10,
      bound: 'each',
      maxAgeMs: 5000,
      now: () => now,
      timeoutMs: 60_000,
      failureIsDoubt: false,
      warn: () => {},
      backoff: { firstMs: 0, maxMs: 0 },
    })
    const read = (found: { at: number; expiresAt: number } | null) =>
      cache.fetch(
        ['r0'],
        1,
        'c0',
        async () => null,
        (_values, r) => {
          cache.keep(r, 'revocation', 'r0', null)
          cache.keep(r, 'cutoff', 'c0', found)
          return undefined
        },
      )
    await read(null)
    await new Promise((resolve) => setImmediate(resolve))
    expect(cache.stats().live).toBe(true)
    await read({ at: 100, expiresAt: now + 2000 })
    expect(cache.answer(['r0'], 1, 'c0', 100)).toBe(true)
    now += 2000 // the cutoff's key has expired
    expect(cache.answer(['r0'], 1, 'c0', 100)).toBeUndefined()
    await read(null)
    now += 4999
    expect(cache.answer(['r0'], 1, 'c0', 100)).toBe(false)
    now += 1 // maxAgeMs since the read was sent
    expect(cache.answer(['r0'], 1, 'c0', 100)).toBeUndefined()
    cache.release()
  })
})

describe('Shelf, the bound of the verdict cache and its key memo', () => {
  it('holds at most max entries over its maps and drops the oldest inserted first, like a Map in insertion order', () => {
    const ops = fc.array(
      fc.oneof(
        fc.record({ put: fc.constantFrom(0, 1), key: fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f') }),
        fc.record({ del: fc.constantFrom(0, 1), key: fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f') }),
      ),
      { maxLength: 200 },
    )
    fc.assert(
      fc.property(ops, fc.integer({ min: 1, max: 5 }), (list, max) => {
        const maps = [new Map<string, object>(), new Map<string, object>()]
        const shelf = new Shelf(maps, max)
        // The reference: one Map of "map:key" in insertion order, its first key dropped when full.
        const reference = new Map<string, object>()
        for (const op of list) {
          if ('put' in op) {
            const value = {}
            shelf.put(maps[op.put]!, op.key, value)
            const id = `${op.put}:${op.key}`
            reference.delete(id)
            if (reference.size >= max) reference.delete(reference.keys().next().value!)
            reference.set(id, value)
          } else {
            maps[op.del]!.delete(op.key)
            reference.delete(`${op.del}:${op.key}`)
          }
          const held = new Map<string, object>()
          maps.forEach((map, i) => {
            for (const [key, value] of map) held.set(`${i}:${key}`, value)
          })
          expect(held).toEqual(reference)
          expect(shelf.size()).toBeLessThanOrEqual(max)
        }
      }),
    )
  })
})

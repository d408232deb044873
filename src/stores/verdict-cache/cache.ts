/**
 * The verdict cache: the answers of the request-path revocation check — "this token id is not
 * revoked", "this subject has no cutoff" (or this one) — kept in the process and made exact by the
 * store's server, which announces every change (Redis `CLIENT TRACKING`, PostgreSQL `LISTEN`). One
 * engine for every store; a store brings its invalidation source and its key or row mapping.
 *
 * This is the one component where a bug fails OPEN (a stale "not revoked"). Its rules, each kept by
 * the code marked with its number, each a test (test/stores/verdict-cache.test.ts interleaves
 * reads, writes, announcements and losses in every order; the stores' cache tests on real servers):
 *
 * 1. A hit is synchronous and allocation-free; a key not known (or a cache not serving) answers
 *    `undefined`, and the store asks its server.
 * 2. A read keeps what it found for a key only if no announcement of that key, and no flush,
 *    happened since the read was sent (the epoch guard): a read that raced a write never keeps
 *    the old answer.
 * 3. Own writes drop their key before they are sent and again when they are answered.
 * 4. The cache serves only while its link is registered, proven and answering its heartbeat
 *    (./link.ts). Any doubt empties it and stops serving until a new connection is proven; reads
 *    sent before that moment keep nothing.
 * 5. A present answer never outlives its key or row; every answer is at most `maxAgeMs` old,
 *    counted from when its read was sent — the bound on a change the server never announces.
 * 6. Bounded: at most `maxEntries` (in all, or per table), the oldest inserted leaves first.
 *
 * @packageDocumentation
 */
import { BACKOFF, type Backoff, Link } from './link.js'
import { Shelf } from './shelf.js'
import type { Answer, Found, InvalidationSource, Kind, VerdictCacheStats } from './types.js'

/** Settings of one verdict cache. */
export interface VerdictCacheSettings {
  source: InvalidationSource
  maxEntries: number
  /** `maxEntries` over both tables together (Redis: keys), or for each (PostgreSQL: ids, and as many subjects). */
  bound: 'in all' | 'each'
  maxAgeMs: number
  /** The store's clock, epoch ms: the age of answers, and whether a present one's key has expired. */
  now: () => number
  /** The store's timeout, ms: for opening the link, its proof and each heartbeat. */
  timeoutMs: number
  /**
   * A failed read or own write on the store's client empties the cache (Redis: the client's
   * trouble may be the server's). PostgreSQL's pool says nothing about its LISTEN connection.
   */
  failureIsDoubt: boolean
  warn(message: string): void
  /** Reconnect backoff (default 100 ms doubling to 30 s). */
  backoff?: Backoff
}

/** One read in flight: the keys it asked for, and when it was sent. */
export interface Read {
  readonly ids: readonly string[]
  readonly count: number
  readonly cutoff: string | undefined
  /** The epoch the read was sent at (rule 2). */
  readonly start: number
  /** Epoch ms the read was sent at: what it returns is at most as old as that (rule 5). */
  readonly sentAt: number
}

/** What a store asks of its verdict cache; {@link VerdictCache} and {@link NO_VERDICT_CACHE} answer it. */
export interface Verdicts {
  /**
   * The check's verdict from the cache alone — any of `ids[0 … count)` revoked, or the `cutoff`
   * key's cutoff at or after `issuedAt` — or `undefined` when a key is not known.
   */
  answer(
    ids: readonly string[],
    count: number,
    cutoff: string | undefined,
    issuedAt: number | undefined,
  ): boolean | undefined
  /**
   * Sends the read of those keys through `run`; `learn` then calls {@link Verdicts.keep} for what it
   * found (and may return a promise while it finds out more, such as an expiry).
   */
  fetch<T>(
    ids: readonly string[],
    count: number,
    cutoff: string | undefined,
    run: () => Promise<T>,
    learn: (reply: T, read: Read) => PromiseLike<unknown> | undefined,
  ): Promise<T>
  /** Whether rule 2 (and 4) would keep what `read` finds for `key` now: worth finding out more. */
  mayKeep(read: Read, kind: Kind, key: string): boolean
  /** Keeps what `read` found for `key` (`null`: no such key), if rule 2 allows. */
  keep(read: Read, kind: Kind, key: string, found: Found | null): void
  /** Runs an own write of `key` (rule 3). */
  write<T>(kind: Kind, key: string, work: () => Promise<T>): Promise<T>
  /** An own change known only from its answer (a session save that ended families): the key leaves. */
  forget(kind: Kind, key: string): void
  stats(): VerdictCacheStats
  /** One store no longer uses the cache; the last one closes its link. */
  release(): void
}

/** The keys of one table: the answers, and the reads in flight that rule 2 watches. */
class Table {
  readonly answers = new Map<string, Answer>()
  /** Key → reads of it in flight. */
  readonly reads = new Map<string, number>()
  /** Key → epoch of its last announcement while a read of it was in flight. */
  readonly touched = new Map<string, number>()
}

/** The verdict cache of one store (or of several on one client and prefix or schema). */
export class VerdictCache implements Verdicts {
  private readonly revocations = new Table()
  private readonly cutoffs = new Table()
  /** Rule 6: one bound over both tables, or one each. */
  private readonly shelves: Shelf<Answer>[]
  private readonly link: Link
  /** Rule 4: set by the link only, once a connection is proven; cleared at the first doubt. */
  private serving = false
  /** Rule 2: moves with every announcement and every flush. */
  private epoch = 0
  /** Rule 2: the epoch of the last flush; a read sent before it keeps nothing. */
  private flushedAt = 0
  private users = 1
  // The hit path reads these directly (rule 1): the answers of both tables, the clock, the count.
  private readonly revoked: Map<string, Answer>
  private readonly cut: Map<string, Answer>
  private readonly now: () => number
  private hits = 0
  private readonly counts = { misses: 0, invalidations: 0, flushes: 0 }

  constructor(
    private readonly settings: VerdictCacheSettings,
    /** Called when the last user releases it (the cache leaves its registry). */
    private readonly onClosed: () => void = () => {},
  ) {
    const { maxEntries } = settings
    this.now = settings.now
    this.revoked = this.revocations.answers
    this.cut = this.cutoffs.answers
    const [r, c] = [this.revoked, this.cut]
    this.shelves =
      settings.bound === 'in all'
        ? [new Shelf([r, c], maxEntries)]
        : [new Shelf([r], maxEntries), new Shelf([c], maxEntries)]
    this.link = new Link(
      settings.source,
      {
        changed: (key, kind) => {
          this.counts.invalidations++
          this.invalidate(key, kind)
        },
        changedAll: () => this.flush(),
        serve: () => {
          this.flush()
          this.serving = true
        },
        stop: () => {
          this.serving = false
          this.flush()
        },
      },
      {
        timeoutMs: settings.timeoutMs,
        warn: settings.warn,
        backoff: settings.backoff ?? BACKOFF,
      },
    )
  }

  answer(ids: readonly string[], count: number, cutoff: string | undefined, issuedAt: number | undefined) {
    // Rule 1: plain lookups, nothing built. Every key is looked at, so a hit never depends on
    // which present key came first.
    if (!this.serving) return undefined
    const now = this.now()
    let revoked = false
    const answers = this.revoked
    for (let i = 0; i < count; i++) {
      const known = answers.get(ids[i]!)
      if (known === undefined) return undefined
      if (known.until <= now) {
        answers.delete(ids[i]!)
        return undefined
      }
      if (known.present) revoked = true
    }
    if (cutoff !== undefined) {
      const known = this.cut.get(cutoff)
      if (known === undefined) return undefined
      if (known.until <= now) {
        this.cut.delete(cutoff)
        return undefined
      }
      if (known.present && issuedAt !== undefined && issuedAt <= known.at) revoked = true
    }
    this.hits++
    return revoked
  }

  async fetch<T>(
    ids: readonly string[],
    count: number,
    cutoff: string | undefined,
    run: () => Promise<T>,
    learn: (reply: T, read: Read) => PromiseLike<unknown> | undefined,
  ): Promise<T> {
    const read = this.begin(ids, count, cutoff)
    let reply: T
    try {
      reply = await run()
    } catch (err) {
      this.settle(read)
      if (this.settings.failureIsDoubt) this.flush()
      throw err
    }
    let learning: PromiseLike<unknown> | undefined
    try {
      learning = learn(reply, read)
    } finally {
      // The read's keys stay watched (rule 2) until everything it learns is kept.
      if (learning === undefined) this.end(read)
      else
        learning.then(
          () => this.end(read),
          () => this.end(read),
        )
    }
    return reply
  }

  mayKeep(read: Read, kind: Kind, key: string): boolean {
    // Rule 2 (and 4: nothing is kept while not serving).
    return (
      this.serving && read.start >= this.flushedAt && (this.table(kind).touched.get(key) ?? -1) <= read.start
    )
  }

  keep(read: Read, kind: Kind, key: string, found: Found | null): void {
    if (!this.mayKeep(read, kind, key)) return
    // Rule 5.
    const oldest = read.sentAt + this.settings.maxAgeMs
    const answer: Answer =
      found === null
        ? { present: false, at: 0, until: oldest }
        : { present: true, at: found.at, until: Math.min(found.expiresAt, oldest) }
    this.shelfOf(kind).put(this.table(kind).answers, key, answer)
  }

  async write<T>(kind: Kind, key: string, work: () => Promise<T>): Promise<T> {
    // Rule 3: before it is sent (the old answer stops at once), and again once answered (a read
    // still in flight then keeps nothing, announced or not).
    this.invalidate(key, kind)
    try {
      return await work()
    } catch (err) {
      if (this.settings.failureIsDoubt) this.flush()
      throw err
    } finally {
      this.invalidate(key, kind)
    }
  }

  forget(kind: Kind, key: string): void {
    this.invalidate(key, kind)
  }

  stats(): VerdictCacheStats {
    const entries = this.revocations.answers.size + this.cutoffs.answers.size
    return { enabled: true, live: this.serving, entries, hits: this.hits, ...this.counts }
  }

  /** Another store on the same client and prefix or schema uses this cache too. */
  acquire(): void {
    this.users++
  }

  release(): void {
    if (--this.users > 0) return
    this.onClosed()
    this.link.release()
  }

  private table(kind: Kind): Table {
    return kind === 'revocation' ? this.revocations : this.cutoffs
  }

  private shelfOf(kind: Kind): Shelf<Answer> {
    return this.shelves[kind === 'cutoff' && this.shelves.length > 1 ? 1 : 0]!
  }

  private begin(ids: readonly string[], count: number, cutoff: string | undefined): Read {
    this.counts.misses++
    for (let i = 0; i < count; i++) inc(this.revocations.reads, ids[i]!)
    if (cutoff !== undefined) inc(this.cutoffs.reads, cutoff)
    return { ids, count, cutoff, start: this.epoch, sentAt: this.now() }
  }

  /** The read is answered (and what it found is kept): open the link if there is none. */
  private end(read: Read): void {
    this.settle(read)
    this.link.wake()
  }

  private settle(read: Read): void {
    for (let i = 0; i < read.count; i++) dec(this.revocations, read.ids[i]!)
    if (read.cutoff !== undefined) dec(this.cutoffs, read.cutoff)
  }

  /** Rule 2: `key` changed; a read of it in flight will keep nothing. `kind` unknown: both tables. */
  private invalidate(key: string, kind: Kind | undefined): void {
    this.epoch++
    if (kind !== 'cutoff') this.touch(this.revocations, key)
    if (kind !== 'revocation') this.touch(this.cutoffs, key)
  }

  private touch(table: Table, key: string): void {
    table.answers.delete(key)
    if (table.reads.has(key)) table.touched.set(key, this.epoch)
  }

  /** Rules 2 and 4: everything leaves, and no read sent before now keeps anything. */
  private flush(): void {
    this.epoch++
    this.flushedAt = this.epoch
    if (this.revocations.answers.size + this.cutoffs.answers.size > 0 || this.serving) this.counts.flushes++
    for (const shelf of this.shelves) shelf.clear()
  }
}

function inc(reads: Map<string, number>, key: string): void {
  reads.set(key, (reads.get(key) ?? 0) + 1)
}

function dec(table: Table, key: string): void {
  const n = (table.reads.get(key) ?? 1) - 1
  if (n > 0) table.reads.set(key, n)
  else {
    table.reads.delete(key)
    table.touched.delete(key)
  }
}

const OFF_STATS: VerdictCacheStats = {
  enabled: false,
  live: false,
  entries: 0,
  hits: 0,
  misses: 0,
  invalidations: 0,
  flushes: 0,
}

/** No cache (`cache: false`, or a client that cannot have one): every check asks the server. */
export const NO_VERDICT_CACHE: Verdicts = {
  answer: () => undefined,
  fetch: (_ids, _count, _cutoff, run) => run(),
  mayKeep: () => false,
  keep: () => {},
  write: (_kind, _key, work) => work(),
  forget: () => {},
  stats: () => ({ ...OFF_STATS }),
  release: () => {},
}

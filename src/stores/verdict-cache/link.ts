/**
 * The verdict cache's link to its invalidation source (./cache.ts): opened after a successful
 * read, proven before anything is served, kept honest by a heartbeat, and dropped — the cache
 * emptied — at the first doubt. It decides one thing for the cache: whether it may serve.
 */
import { tookTooLong, unref, within } from '../util.js'
import type { ChangeEvents, Channel, InvalidationSource } from './types.js'

/** Heartbeat period: with the store's timeout, the longest a silently dead connection can go unnoticed. */
export const HEARTBEAT_MS = 250

/** Reconnect backoff after a failure or a loss: doubling from `firstMs` up to `maxMs`. */
export interface Backoff {
  firstMs: number
  maxMs: number
}
export const BACKOFF: Backoff = { firstMs: 100, maxMs: 30_000 }

/** What the link tells the cache. */
export interface LinkOwner extends Omit<ChangeEvents, 'closed'> {
  /** The connection is registered and proven: empty the cache (reads sent before now were not covered), then serve. */
  serve(): void
  /** Any doubt: stop serving, then empty the cache. */
  stop(): void
}

/** Settings of one link. */
export interface LinkSettings {
  /** For opening, the proof and each heartbeat, ms. */
  timeoutMs: number
  warn(message: string): void
  backoff: Backoff
}

/** One cache's connection to its invalidation source, through failures and reconnects. */
export class Link {
  private state: 'idle' | 'opening' | 'live' | 'closed' = 'idle'
  private channel: Channel | undefined
  /** Moves with every open and every drop: callbacks of an older connection find it changed and do nothing. */
  private generation = 0
  private retryAt = 0
  private retryMs: number
  private heartbeat: ReturnType<typeof setInterval> | undefined
  private pinging = false
  private warned = false

  constructor(
    private readonly source: InvalidationSource,
    private readonly owner: LinkOwner,
    private readonly settings: LinkSettings,
  ) {
    this.retryMs = settings.backoff.firstMs
  }

  /**
   * After a successful read: open the connection if there is none, the last attempt is old enough
   * and the client is still open. The retry clock is the real one (`Date.now`), never the store's
   * injected clock, which a test may hold still.
   */
  wake(): void {
    if (this.state === 'idle' && Date.now() >= this.retryAt && this.source.usable()) void this.open()
  }

  /** Closes it for good (the last store using the cache is closed). */
  release(): void {
    this.state = 'closed'
    this.drop()
  }

  private async open(): Promise<void> {
    this.state = 'opening'
    const mine = ++this.generation
    const stale = () => mine !== this.generation
    const { timeoutMs } = this.settings
    let connected = false
    try {
      const opening = this.source.open({
        changed: (key, kind) => this.owner.changed(key, kind),
        changedAll: () => this.owner.changedAll(),
        // While opening, a loss rejects the open instead (below).
        closed: () => {
          if (!stale() && this.channel !== undefined) this.drop()
        },
      })
      // A connection that opens after its open timed out (or after release) is closed at once.
      opening.then(
        (late) => {
          if (stale()) late.close()
        },
        () => {},
      )
      const channel = await within(opening, timeoutMs, tookTooLong(`opening ${this.source.name}`, timeoutMs))
      if (stale()) return
      this.channel = channel
      connected = true
      // Serve only what a proven path keeps exact: a client, proxy or server that registers but never
      // delivers fails here, and the cache stays off.
      await channel.prove()
      if (stale()) return
      this.owner.serve()
      this.state = 'live'
      this.retryMs = this.settings.backoff.firstMs
      this.heartbeat = setInterval(() => this.beat(channel, mine), HEARTBEAT_MS)
      unref(this.heartbeat)
    } catch (err) {
      if (stale()) return
      const warning = this.source.setupWarning(err, connected)
      if (warning !== undefined && !this.warned) {
        this.warned = true
        this.settings.warn(warning)
      }
      this.drop()
    }
  }

  /** Every HEARTBEAT_MS: a round trip on the connection within the timeout, or the link drops. */
  private beat(channel: Channel, mine: number): void {
    if (this.pinging || mine !== this.generation) return
    if (!this.source.usable()) {
      // The application closed its client: stop, and open nothing until reads succeed again.
      this.drop()
      return
    }
    this.pinging = true
    const { timeoutMs } = this.settings
    within(
      channel.heartbeat(),
      timeoutMs,
      tookTooLong(`the heartbeat of ${this.source.name}`, timeoutMs),
    ).then(
      () => {
        if (mine === this.generation) this.pinging = false
      },
      () => {
        if (mine === this.generation) this.drop()
      },
    )
  }

  /** Stops serving, empties the cache, closes the connection; a later read may open a new one. */
  private drop(): void {
    this.owner.stop()
    if (this.heartbeat !== undefined) clearInterval(this.heartbeat)
    this.heartbeat = undefined
    this.pinging = false
    const old = this.channel
    this.channel = undefined
    this.generation++
    if (this.state !== 'closed') this.state = 'idle'
    this.retryAt = Date.now() + this.retryMs
    this.retryMs = Math.min(this.retryMs * 2, this.settings.backoff.maxMs)
    old?.close()
  }
}

/**
 * The DPoP proof ids of `memoryStore()` (`consume('dpop:<jkt>:<jti>', …)`, core/dpop.ts): a bound
 * of their own (`maxProofs`), shared fairly between the keys that send proofs.
 *
 * A proof id is remembered until no instance could accept its proof any more, so that it is
 * never accepted twice (RFC 9449 §11.1). One client with a DPoP-bound session can send fresh
 * proofs as fast as it likes, and would fill a plain bound for everyone. So when the bound is
 * full (after dropping what has expired), the store forgets the OLDEST proof id of the key that
 * holds the most live ones — only that client's own oldest proofs become replayable, never
 * another's — as long as that key holds more than a small share of the bound (1 %, at least 1).
 * When no key does, the flood comes from many keys at once, and the new proof is refused (503):
 * fail closed. Each insert costs O(log k) for k keys: a count per key in a max-heap.
 *
 * Proof ids expire in about the order they came (each lives the proof age limit), so a full store
 * first drops expired ids from the front of one arrival-order queue — O(1) each. The full sweep
 * (every id, every key) catches the rest, at most once a second while a flooding key can make
 * room, so a flood cannot make every request pay O(maxProofs).
 */
import { DPOP_PROOF_PREFIX } from '../../core/lib/constants.js'

/** The key a proof id belongs to: `<jkt>` of `dpop:<jkt>:<jti>` (a JWK thumbprint has no `:`). */
function keyOf(id: string): string {
  const end = id.indexOf(':', DPOP_PROOF_PREFIX.length)
  return id.slice(DPOP_PROOF_PREFIX.length, end < 0 ? undefined : end)
}

/** One remembered proof id. */
interface Held {
  readonly id: string
  readonly exp: number
  readonly key: KeyProofs
}

/** The proof ids of one key, oldest first, and its place in the heap. */
interface KeyProofs {
  readonly jkt: string
  /** In insertion order; an item is stale once `held` no longer maps its id to it. */
  queue: Held[]
  head: number
  /** Proof ids of this key held now. */
  count: number
  /** Index in the heap. */
  slot: number
}

/** Between two full sweeps of a full store, while a key over its share can make room, ms. */
const SWEEP_GAP_MS = 1000

/** The proof ids of one memory store, at most `max`. */
export class ProofIds {
  private readonly held = new Map<string, Held>()
  /** Every id in arrival order (an item is stale once `held` no longer maps its id to it). */
  private arrivals: Held[] = []
  private arrivalsHead = 0
  /** No full sweep of a full store before this (epoch ms), unless it must refuse otherwise. */
  private nextSweepAt = 0
  private readonly byKey = new Map<string, KeyProofs>()
  /** Keys by `count`, largest first. */
  private heap: KeyProofs[] = []
  /** Nothing held expires before this (epoch ms): until then a full store need not sweep. */
  private nextExpiry = 0
  /** A key holding more than this many is trimmed when the bound is full. */
  readonly share: number

  constructor(
    private readonly max: number,
    private readonly full: () => Error,
  ) {
    this.share = Math.max(1, Math.floor(max / 100))
  }

  /** Proof ids held now (live or not yet swept). */
  get size(): number {
    return this.held.size
  }

  /**
   * `consume` of a proof id: `false` when `id` is held and live at `t` (epoch ms); else it is
   * remembered until `exp` (room made first: see the header) and the answer is `true`. Throws the
   * store's error when there is no room.
   */
  consume(id: string, exp: number, t: number): boolean {
    const found = this.held.get(id)
    if (found !== undefined) {
      if (found.exp > t) return false
      this.forget(found)
    }
    if (this.held.size >= this.max) this.makeRoom(t)
    const jkt = keyOf(id)
    let key = this.byKey.get(jkt)
    if (key === undefined) {
      key = { jkt, queue: [], head: 0, count: 0, slot: this.heap.length }
      this.byKey.set(jkt, key)
      this.heap.push(key)
    }
    const held: Held = { id, exp, key }
    this.held.set(id, held)
    this.arrivals.push(held)
    key.queue.push(held)
    key.count++
    this.up(key.slot)
    if (exp < this.nextExpiry) this.nextExpiry = exp
    return true
  }

  /** Drops every proof id expired at `t`. */
  sweep(t: number): void {
    let soonest = Number.POSITIVE_INFINITY
    for (const key of this.byKey.values()) {
      const kept: Held[] = []
      for (let i = key.head; i < key.queue.length; i++) {
        const held = key.queue[i]!
        if (this.held.get(held.id) !== held) continue
        if (held.exp <= t) this.held.delete(held.id)
        else {
          kept.push(held)
          if (held.exp < soonest) soonest = held.exp
        }
      }
      key.queue = kept
      key.head = 0
      key.count = kept.length
      if (kept.length === 0) this.byKey.delete(key.jkt)
    }
    this.heap = [...this.byKey.values()]
    for (let i = this.heap.length - 1; i >= 0; i--) {
      this.heap[i]!.slot = i
      this.down(i)
    }
    this.nextExpiry = soonest
    this.arrivals = [...this.held.values()].sort((a, b) => a.exp - b.exp)
    this.arrivalsHead = 0
  }

  /** Drops the expired ids at the front of the arrival order; stops at the first live one. */
  private dropExpiredFront(t: number): void {
    const arrivals = this.arrivals
    while (this.arrivalsHead < arrivals.length) {
      const held = arrivals[this.arrivalsHead]!
      if (this.held.get(held.id) === held) {
        if (held.exp > t) break
        this.forget(held)
      }
      this.arrivalsHead++
    }
    if (this.arrivalsHead > 1024 && this.arrivalsHead * 2 > arrivals.length) {
      this.arrivals = arrivals.slice(this.arrivalsHead)
      this.arrivalsHead = 0
    }
  }

  /** The bound is full: drop what has expired; else the largest key's oldest, if it holds more than its share; else refuse. */
  private makeRoom(t: number): void {
    this.dropExpiredFront(t)
    if (this.held.size < this.max) return
    if (t >= this.nextExpiry && t >= this.nextSweepAt) {
      this.sweep(t)
      this.nextSweepAt = t + SWEEP_GAP_MS
      if (this.held.size < this.max) return
    }
    const largest = this.heap[0]
    if (largest === undefined || largest.count <= this.share) {
      // About to refuse: whatever has expired goes first, however recent the last sweep.
      if (t >= this.nextExpiry) this.sweep(t)
      if (this.held.size < this.max) return
      throw this.full()
    }
    while (largest.head < largest.queue.length) {
      const oldest = largest.queue[largest.head++]!
      if (this.held.get(oldest.id) === oldest) {
        this.forget(oldest)
        return
      }
    }
  }

  private forget(held: Held): void {
    this.held.delete(held.id)
    const key = held.key
    key.count--
    if (key.count === 0) {
      this.byKey.delete(key.jkt)
      this.removeFromHeap(key)
      return
    }
    // Stale items before the head are dropped now and then.
    if (key.head > 32 && key.head * 2 > key.queue.length) {
      key.queue = key.queue.slice(key.head)
      key.head = 0
    }
    this.down(key.slot)
  }

  private removeFromHeap(key: KeyProofs): void {
    const last = this.heap.pop()!
    if (last === key) return
    this.heap[key.slot] = last
    last.slot = key.slot
    this.up(last.slot)
    this.down(last.slot)
  }

  private up(i: number): void {
    const heap = this.heap
    const key = heap[i]!
    while (i > 0) {
      const parent = (i - 1) >> 1
      if (heap[parent]!.count >= key.count) break
      heap[i] = heap[parent]!
      heap[i]!.slot = i
      i = parent
    }
    heap[i] = key
    key.slot = i
  }

  private down(i: number): void {
    const heap = this.heap
    const key = heap[i]!
    for (;;) {
      let child = 2 * i + 1
      if (child >= heap.length) break
      if (child + 1 < heap.length && heap[child + 1]!.count > heap[child]!.count) child++
      if (heap[child]!.count <= key.count) break
      heap[i] = heap[child]!
      heap[i]!.slot = i
      i = child
    }
    heap[i] = key
    key.slot = i
  }
}

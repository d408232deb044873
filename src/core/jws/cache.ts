/**
 * The verified-token cache: a bounded map from the WHOLE token string to its verified claims.
 *
 * - Keyed by the entire token, never a prefix or a hash, so two tokens can never share an entry
 *   (fast-jwt once handed one user's claims to another through a cache-key collision).
 * - An entry never outlives the token's `exp`, and expired entries are dropped on read.
 * - It only skips parsing, the signature and the claim checks; revocation is still checked on
 *   every request by the caller.
 * - Bounded: when full, the oldest entry goes (Map keeps insertion order).
 */
export class VerifiedTokenCache {
  readonly #entries = new Map<string, { claims: object; expiresAt: number }>()
  readonly #maxEntries: number
  readonly #maxAgeMs: number | undefined

  constructor(maxEntries: number, maxAgeMs?: number) {
    if (!Number.isInteger(maxEntries) || maxEntries < 1)
      throw new TypeError('tokenward: cache.maxEntries must be a positive integer')
    this.#maxEntries = maxEntries
    this.#maxAgeMs = maxAgeMs
  }

  get size(): number {
    return this.#entries.size
  }

  /** The claims of a verified token, or `undefined`. `nowMs`: epoch ms. */
  get(token: string, nowMs: number): object | undefined {
    const entry = this.#entries.get(token)
    if (entry === undefined) return undefined
    if (entry.expiresAt <= nowMs) {
      this.#entries.delete(token)
      return undefined
    }
    return entry.claims
  }

  /** Remembers verified (frozen) claims until `exp` (epoch seconds). */
  set(token: string, claims: object, exp: number, nowMs = Date.now()): void {
    if (!Number.isFinite(exp)) return // no known expiry: never cached
    let expiresAt = exp * 1000
    if (this.#maxAgeMs !== undefined) expiresAt = Math.min(expiresAt, nowMs + this.#maxAgeMs)
    if (this.#entries.size >= this.#maxEntries) {
      const oldest = this.#entries.keys().next()
      if (!oldest.done) this.#entries.delete(oldest.value)
    }
    this.#entries.set(token, { claims, expiresAt })
  }

  clear(): void {
    this.#entries.clear()
  }
}

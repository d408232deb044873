/**
 * The revocation part of redisStore: `isRevoked` — ONE `MGET` on a verdict-cache miss, none on a
 * hit — and the writes the verdict cache must drop at once (`revoke`, `setCutoff`), plus
 * `getCutoff`. How the check maps onto the cache: its keys are the Redis keys themselves, the
 * token's ids first (revocation marks), then the subject's cutoff.
 */
import type { CutoffCheck, TokenStore } from '../types.js'
import { toText } from '../util.js'
import { type Read, Shelf, type Verdicts } from '../verdict-cache/index.js'
import { type Command, unexpected } from './client.js'
import { msOf, type RedisKeys } from './keys.js'
import { SET_CUTOFF } from './scripts.js'

/** What the revocation methods need of the store around them (./index.ts). */
export interface RedisRevocationDeps {
  command: Command
  keys: RedisKeys
  verdicts: Verdicts
  /** Most key lists remembered (the verdict cache's `maxEntries`), or 0 without a cache. */
  memoSize: number
  /** The store's clock, epoch ms. */
  now(): number
}

/**
 * The key lists of recent checks, by token id. Building them costs a hash of the subject, URI
 * encoding and concatenation, and a new string must be hashed again on every lookup; a token
 * checked before gets the very same strings back (and nothing is allocated). The id (`jti`) is
 * 128 random bits, and the second id (the family) and the subject must match too. Bounded like
 * the cache; oldest first.
 */
export class KeyMemo {
  private readonly byId = new Map<
    string,
    { second: string | undefined; subject: string | undefined; keys: string[] }
  >()
  private readonly shelf: Shelf<{ second: string | undefined; subject: string | undefined; keys: string[] }>

  constructor(max: number) {
    this.shelf = new Shelf([this.byId], max)
  }

  /** The keys remembered for `ids` and `subject`, or `undefined`. */
  get(ids: readonly string[], subject: string | undefined): readonly string[] | undefined {
    const found = ids.length <= 2 && ids[0] !== undefined ? this.byId.get(ids[0]) : undefined
    return found && found.second === ids[1] && found.subject === subject ? found.keys : undefined
  }

  /** Remembers `keys` for `ids` and `subject` (one or two ids). */
  set(ids: readonly string[], subject: string | undefined, keys: string[]): string[] {
    if (ids.length <= 2 && ids[0] !== undefined)
      this.shelf.put(this.byId, ids[0], { second: ids[1], subject, keys })
    return keys
  }
}

/** Verdict of the MGET values: the ids' marks, then the cutoff. */
function verdictOf(values: readonly unknown[], count: number, cutoff: CutoffCheck | undefined): boolean {
  for (let i = 0; i < count; i++) if (values[i] !== null && values[i] !== undefined) return true
  if (cutoff === undefined) return false
  const cut = values[count]
  return cut !== null && cut !== undefined && cutoff.issuedAt <= Number(cut)
}

/**
 * Gives the cache what an MGET of `keys` found. An absent key is kept at once; a present one (a
 * mark, a cutoff) once its expiry is known — read in the background, never on a request's path —
 * so that it never outlives its key.
 */
function learn(deps: RedisRevocationDeps, keys: readonly string[], count: number) {
  const { verdicts, command } = deps
  return (values: unknown[], read: Read): Promise<unknown> | undefined => {
    const expiries: Promise<unknown>[] = []
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i]!
      const kind = i < count ? 'revocation' : 'cutoff'
      const value = values[i]
      if (value === null || value === undefined) verdicts.keep(read, kind, key, null)
      else if (verdicts.mayKeep(read, kind, key)) {
        const at = Number(toText(value))
        const expiry = command(key, ['PEXPIRETIME', key]).then((reply) => {
          const expiresAt = Number(reply)
          // -1 (no expiry) never happens to tokenward's keys; -2 (gone) is asked again next time.
          if (expiresAt > 0) verdicts.keep(read, kind, key, { at, expiresAt })
        })
        expiries.push(expiry)
      }
    }
    return expiries.length === 0 ? undefined : Promise.allSettled(expiries)
  }
}

/** `isRevoked`, `revoke`, `setCutoff` and `getCutoff` over `deps`. */
export function redisRevocations(
  deps: RedisRevocationDeps,
): Pick<TokenStore, 'isRevoked' | 'revoke' | 'setCutoff' | 'getCutoff'> {
  const { command, keys, verdicts, now } = deps
  const memo = deps.memoSize > 0 ? new KeyMemo(deps.memoSize) : undefined
  /** The keys of one check: the ids' revocation marks, then the subject's cutoff. */
  const remember = (ids: readonly string[], cutoff: CutoffCheck | undefined): string[] => {
    const built = ids.map((id) => keys.of('r', id, cutoff?.subject))
    if (cutoff !== undefined) built.push(keys.cutoff(cutoff.subject))
    return memo ? memo.set(ids, cutoff?.subject, built) : built
  }

  /** The MGET of `checked` (the cache keeps what it may), then the verdict. */
  const fetchRevoked = async (checked: readonly string[], count: number, cutoff: CutoffCheck | undefined) => {
    const values = await verdicts.fetch(
      checked,
      count,
      cutoff === undefined ? undefined : checked[count],
      async () => {
        const reply = await command(checked[0]!, ['MGET', ...checked])
        if (!Array.isArray(reply) || reply.length !== checked.length) throw unexpected('MGET', reply)
        return reply as unknown[]
      },
      learn(deps, checked, count),
    )
    return verdictOf(values, count, cutoff)
  }

  return {
    // One MGET: the ids' revocation marks and the subject's cutoff, read atomically in one round
    // trip from one hash slot. A plain command costs Redis a fraction of a script call. When the
    // cache knows every key, no round trip at all: the answer is synchronous.
    isRevoked(ids, cutoff?: CutoffCheck) {
      const subject = cutoff?.subject
      const checked = memo?.get(ids, subject) ?? remember(ids, cutoff)
      if (checked.length === 0) return false
      const count = ids.length
      const known = verdicts.answer(
        checked,
        count,
        subject === undefined ? undefined : checked[count],
        cutoff?.issuedAt,
      )
      if (known !== undefined) return known
      return fetchRevoked(checked, count, cutoff)
    },
    async revoke(id, expiresAt, subject) {
      if (expiresAt * 1000 <= now()) return
      const k = keys.of('r', id, subject)
      const reply = await verdicts.write('revocation', k, () =>
        command(k, ['SET', k, '1', 'PXAT', msOf(expiresAt)]),
      )
      if (reply !== 'OK') throw unexpected('SET', reply)
    },
    async setCutoff(subject, at, expiresAt) {
      const k = keys.cutoff(subject)
      const reply = await verdicts.write('cutoff', k, () =>
        command(k, ['EVAL', SET_CUTOFF, '1', k, String(at), msOf(expiresAt)]),
      )
      if (Number(reply) !== 1) throw unexpected('the cutoff script', reply)
    },
    async getCutoff(subject) {
      const k = keys.cutoff(subject)
      const value = await command(k, ['GET', k])
      if (value === null || value === undefined) return null
      const at = Number(toText(value))
      if (Number.isNaN(at)) throw unexpected('GET', value)
      return at
    },
  }
}

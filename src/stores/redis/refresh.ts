/**
 * `spendRefresh` and `spentGeneration` of `redisStore()`. A refresh-token presentation is ONE
 * `EVAL` (session-scripts.ts, SPEND) over keys under the subject's hash tag only — the revocation
 * keys of the token's ids, the subject's cutoff, the family's state and the subject's session keys
 * — so it is one round trip, atomic, and works on Redis Cluster. The family's state is one key per
 * session (`…:f:<subject>:<family>`), however often it rotates, kept at least until the latest
 * successor expires.
 */
import { checkSpend } from '../checks.js'
import type { SpendVerdict, TokenStore } from '../types.js'
import { toText } from '../util.js'
import { type Command, unexpected } from './client.js'
import { msOf, type RedisKeys } from './keys.js'
import { SPEND } from './session-scripts.js'
import { sessionKeys } from './sessions.js'

/** What the refresh methods need of the store around them (index.ts). */
export interface RedisRefreshDeps {
  command: Command
  keys: RedisKeys
  /** The store's clock, epoch ms. */
  now(): number
}

const VERDICTS: ReadonlySet<string> = new Set<SpendVerdict>(['rotate', 'retry', 'reused', 'revoked'])

/**
 * The two refresh methods over `deps`.
 *
 * @example
 * ```ts
 * const { spendRefresh } = redisRefresh({ command, keys, now })
 * await spendRefresh({ family, generation: 0, subject, ids: [jti, family], … }) // 'rotate'
 * ```
 */
export function redisRefresh(
  deps: RedisRefreshDeps,
): Required<Pick<TokenStore, 'spendRefresh' | 'spentGeneration'>> {
  const { command, keys: layout } = deps
  const key = (kind: string, id: string, subject: string) => layout.of(kind, id, subject)
  return {
    async spendRefresh(spend) {
      checkSpend(spend)
      const { subject, family, touch } = spend
      const t = deps.now()
      const ids = spend.ids.map((id) => key('r', id, subject))
      const keys = [
        ...ids,
        layout.cutoff(subject),
        key('f', family, subject),
        ...sessionKeys(layout.subject, subject),
      ]
      const reply = await command(keys[0]!, [
        'EVAL',
        SPEND,
        String(keys.length),
        ...keys,
        String(ids.length),
        String(spend.issuedAt),
        String(spend.generation),
        String(Math.round(spend.now)),
        String(Math.round(spend.graceSeconds * 1000)),
        String(spend.graceRetries),
        // Like consume: an already-expired successor still leaves the state for a moment.
        String(Math.max(Math.ceil(spend.expiresAt * 1000), t + 1000)),
        String(t),
        touch ? '1' : '0',
        String(touch?.lastUsedAt ?? 0),
        touch ? msOf(touch.expiresAt) : '0',
        family,
      ])
      const verdict = reply === null || reply === undefined ? '' : toText(reply)
      if (!VERDICTS.has(verdict)) throw unexpected('the refresh spend script', reply)
      return verdict as SpendVerdict
    },
    async spentGeneration(family, subject) {
      const k = key('f', family, subject)
      const value = await command(k, ['GET', k])
      if (value === null || value === undefined) return null
      const match = /^(\d+) -?\d+ \d+$/.exec(toText(value))
      if (!match) throw unexpected('GET', value)
      return Number(match[1])
    },
  }
}

/**
 * `spendRefresh` and `spentGeneration` of `memoryStore()`: one refresh-token presentation decided
 * in one synchronous step (so atomic: JavaScript runs it in one turn). The family's spend state is
 * ONE entry of the security group per session, however often it rotates — a refresh loop of one
 * account does not grow the store.
 */
import { checkSpend, withinGrace } from '../checks.js'
import type { RefreshSpend, SpendVerdict, TokenStore } from '../types.js'
import { liveEntry } from './bounds.js'
import type { SecurityEntries } from './security.js'
import type { MemorySessions } from './sessions.js'

/**
 * The two refresh methods over the store's security group and session records.
 *
 * @example
 * ```ts
 * const { spendRefresh } = memoryRefresh(Date.now, security, sessions)
 * await spendRefresh({ family, generation: 0, subject, ids: [jti, family], … }) // 'rotate'
 * ```
 */
export function memoryRefresh(
  now: () => number,
  security: SecurityEntries,
  sessions: MemorySessions,
): Required<Pick<TokenStore, 'spendRefresh' | 'spentGeneration'>> {
  const { families } = security
  const decide = (spend: RefreshSpend): SpendVerdict => {
    checkSpend(spend)
    const t = now()
    const { family, generation, subject } = spend
    if (security.isRevoked(spend.ids, { subject, issuedAt: spend.issuedAt }, t)) return 'revoked'
    const state = liveEntry(families, family, t)
    // Like consume: an already-expired successor still leaves the state for a moment.
    const exp = Math.max(spend.expiresAt * 1000, t + 1000)
    let verdict: SpendVerdict
    if (state === undefined || generation > state.generation) {
      if (state === undefined) security.room(t)
      families.set(family, { exp: Math.max(exp, state?.exp ?? 0), generation, first: spend.now, retries: 0 })
      verdict = 'rotate'
    } else if (
      generation === state.generation &&
      withinGrace(spend, state.first) &&
      state.retries < spend.graceRetries
    ) {
      state.retries++
      state.exp = Math.max(state.exp, exp)
      verdict = 'retry'
    } else return 'reused'
    if (spend.touch) sessions.touch(subject, family, spend.touch.lastUsedAt, spend.touch.expiresAt, t)
    return verdict
  }
  return {
    async spendRefresh(spend) {
      return decide(spend)
    },
    async spentGeneration(family) {
      return liveEntry(families, family, now())?.generation ?? null
    },
  }
}

/**
 * The atomic counters of postgresStore: `consume` (first use), `hit` (rate-limit reservations), and
 * `spendRefresh` / `spentGeneration` (one refresh presentation in one statement) — each one
 * statement whose row lock makes concurrent calls queue, so each gets its own answer.
 */
import { checkHit, checkSpend } from '../checks.js'
import type { SpendVerdict, TokenStore } from '../types.js'
import { finite } from './options.js'
import { type Runner, unexpected } from './runner.js'
import type { Statements } from './statements.js'

type Spends = Required<Pick<TokenStore, 'consume' | 'hit' | 'spendRefresh' | 'spentGeneration'>>

/** `consume`, `hit`, `spendRefresh` and `spentGeneration` over `run`. */
export function postgresSpends({
  sql,
  run,
  now,
}: {
  sql: Statements
  run: Runner['run']
  /** Epoch seconds. */
  now: () => number
}): Spends {
  return {
    async consume(id, expiresAt) {
      const t = now()
      // A spent mark lives at least a second, even for an id whose expiry has passed.
      const rows = await run(sql.consume, [id, Math.max(finite(expiresAt, 'expiresAt'), t + 1), t])
      return rows.length > 0
    },
    async hit(key, windowSeconds, cost = 1) {
      checkHit(windowSeconds, cost)
      const t = now()
      const rows =
        cost > 0
          ? await run(sql.hitAdd, [key, cost, t, windowSeconds])
          : cost === 0
            ? await run(sql.hitRead, [key, t])
            : await run(sql.hitGiveBack, [key, cost, t])
      if (rows.length === 0) return 0
      const count = Number(rows[0]![0])
      if (!Number.isInteger(count)) throw unexpected('hit', rows[0]![0])
      return count
    },
    async spendRefresh(spend): Promise<SpendVerdict> {
      checkSpend(spend)
      const touch = spend.touch
      const rows = await run(sql.spendRefresh, [
        spend.ids,
        spend.subject,
        spend.family,
        spend.generation,
        spend.now / 1000, // the caller's clock: instances and stores agree on the grace window
        spend.issuedAt,
        spend.expiresAt,
        spend.graceSeconds,
        spend.graceRetries,
        touch === undefined ? null : finite(touch.lastUsedAt, 'lastUsedAt'),
        touch === undefined ? null : finite(touch.expiresAt, 'expiresAt'),
      ])
      const row = rows[0]
      if (row === undefined) throw unexpected('spendRefresh', row)
      if (Number(row[0]) === 1) return 'revoked'
      if (row[1] === null || row[1] === undefined) return 'reused'
      return Number(row[1]) === 0 ? 'rotate' : 'retry'
    },
    async spentGeneration(family, subject) {
      const rows = await run(sql.spentGeneration, [subject, family, now()])
      return rows.length === 0 ? null : Number(rows[0]![0])
    },
  }
}

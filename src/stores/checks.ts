/**
 * Checks of what the core hands a store, shared by the stores: a call a store cannot decide on
 * is a failure (the request answers 503), never a verdict.
 */
import type { RefreshSpend } from './types.js'

/** A refresh-token presentation with a generation that is not a whole number, or a time that is not finite, throws. */
export function checkSpend(spend: RefreshSpend): void {
  const { generation, now, issuedAt, expiresAt, graceSeconds, graceRetries } = spend
  if (!Number.isSafeInteger(generation) || generation < 0)
    throw new TypeError('tokenward: spendRefresh generation must be an integer of at least 0')
  if (!Number.isSafeInteger(graceRetries) || graceRetries < 0)
    throw new TypeError('tokenward: spendRefresh graceRetries must be an integer of at least 0')
  if (![now, issuedAt, expiresAt, graceSeconds].every(Number.isFinite))
    throw new TypeError('tokenward: spendRefresh now, issuedAt, expiresAt and graceSeconds must be finite')
}

/**
 * Whether a presentation at `spend.now` lies in the grace window of a generation first presented at
 * `first` (both epoch ms, by the callers' clocks): within `graceSeconds` of it, EITHER side — the
 * instances' clocks differ, and one a little behind the other still retries — and never when
 * `graceSeconds` is 0.
 */
export function withinGrace(spend: RefreshSpend, first: number): boolean {
  return Math.abs(spend.now - first) < spend.graceSeconds * 1000
}

/** `hit`'s arguments: a whole-number cost (negative gives back) and a window above 0 seconds. */
export function checkHit(windowSeconds: number, cost: number): void {
  if (!Number.isSafeInteger(cost))
    throw new TypeError(`tokenward: hit cost must be a whole number, got ${cost}`)
  if (!(Number.isFinite(windowSeconds) && windowSeconds > 0))
    throw new TypeError(`tokenward: hit windowSeconds must be above 0, got ${windowSeconds}`)
}

/** A session page's `limit`: a whole number from 1 to 1000. */
export function checkPageLimit(limit: number): void {
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000)
    throw new TypeError(
      `tokenward: a session page limit must be a whole number from 1 to 1000, got ${String(limit)}`,
    )
}

/** `saveSession`'s `maxPerSubject`: absent, or a whole number of at least 1. */
export function checkMaxPerSubject(cap: number | undefined): void {
  if (cap !== undefined && (!Number.isInteger(cap) || cap < 1))
    throw new TypeError(
      `tokenward: saveSession maxPerSubject must be a whole number of at least 1, got ${String(cap)}`,
    )
}

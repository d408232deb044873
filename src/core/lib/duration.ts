/** A span of time: seconds as a number, or a string such as `'90s'`, `'15m'`, `'12h'`, `'7d'`, `'1w'`. */
export type Duration = number | `${number}` | `${number}${DurationUnit}` | `${number} ${DurationUnit}`

/** Units accepted in a {@link Duration} string. */
export type DurationUnit = 'ms' | 's' | 'm' | 'h' | 'd' | 'w'

const UNIT_SECONDS: Record<DurationUnit, number> = { ms: 0.001, s: 1, m: 60, h: 3600, d: 86400, w: 604800 }
const PATTERN = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)?$/

/**
 * Turns a {@link Duration} into seconds. Throws `TypeError` for anything else (negative, NaN,
 * unknown unit), because a mistyped lifetime must fail at start-up, not at the first request.
 *
 * @example
 * ```ts
 * import { toSeconds } from 'tokenward'
 * toSeconds('15m') // 900
 * toSeconds(30)    // 30
 * ```
 */
export function toSeconds(value: Duration | string, name = 'duration'): number {
  if (typeof value === 'number') {
    if (Number.isFinite(value) && value >= 0) return value
    throw new TypeError(`tokenward: ${name} must be a non-negative number of seconds, got ${value}`)
  }
  const match = typeof value === 'string' ? PATTERN.exec(value.trim()) : null
  if (!match)
    throw new TypeError(`tokenward: ${name} must look like 30, '90s', '15m', '12h' or '7d', got '${value}'`)
  return Number(match[1]) * UNIT_SECONDS[(match[2] ?? 's') as DurationUnit]
}

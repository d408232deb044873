/**
 * Small helpers every store uses, written once: reading a reply as text, telling an object, a
 * deadline on a promise, timers that never keep a process alive, one-time warnings, and a short
 * runtime-neutral hash.
 */

import { kindOf } from '../core/lib/kind.js'

// Made on first use: nothing at a module's top level that a bundle could not drop.
let decoder: TextDecoder | undefined

/** A reply as text: strings as they are, bytes (a Buffer, a Uint8Array) decoded as UTF-8. */
export function toText(value: unknown): string {
  if (typeof value === 'string') return value
  if (!(value instanceof Uint8Array)) return String(value)
  decoder ??= new TextDecoder()
  return decoder.decode(value)
}

/** An object or a function: something whose properties can be read. */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return (typeof value === 'object' || typeof value === 'function') && value !== null
}

/**
 * What was passed where a client belongs, for a store's error message: a string (a connection URL
 * by mistake) is shown with its password masked — it goes to logs — anything else by its kind.
 */
export function notAClient(value: unknown, string: string): string {
  if (typeof value !== 'string') return kindOf(value)
  let shown = 'a string'
  try {
    const url = new URL(value)
    if (url.password) url.password = '***'
    shown = `the string '${url.href}'`
  } catch {
    // Not a URL: its content is not shown at all.
  }
  return `${shown} (${string})`
}

/** Lets a timer run without keeping the process alive (where the runtime has `unref`). */
export function unref(timer: unknown): void {
  if (isRecord(timer) && typeof timer.unref === 'function') (timer.unref as () => void)()
}

/**
 * Settles like `work`, or rejects with `late()` once `ms` have passed and then calls `onLate`
 * (to cancel what still runs). A rejection that is not an `Error` becomes one. The timer never
 * keeps a process alive.
 *
 * @example
 * ```ts
 * await within(client.ping(), 500, () => new Error('tokenward: Redis did not answer within 500 ms'))
 * ```
 */
export function within<T>(
  work: PromiseLike<T>,
  ms: number,
  late: () => Error,
  onLate?: () => void,
): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(late())
      onLate?.()
    }, ms)
    unref(timer)
    work.then(
      (value) => {
        clearTimeout(timer)
        resolve(value)
      },
      (err: unknown) => {
        clearTimeout(timer)
        reject(err instanceof Error ? err : new Error(String(err)))
      },
    )
  })
}

/** The error of a step that took longer than `ms`: `tokenward: <what> took longer than <ms> ms`. */
export const tookTooLong = (what: string, ms: number) => () =>
  new Error(`tokenward: ${what} took longer than ${ms} ms`)

/** Gives each kind of warning once; a hook that throws never breaks the store. */
export type WarnOnce = (kind: string, message: string) => void

/**
 * The one-time warnings of one store, through its `onWarning` hook.
 *
 * @example
 * ```ts
 * const warnOnce = warnOnceThrough((message) => logger.warn(message))
 * warnOnce('persistence', 'tokenward: Redis persists nothing') // logged
 * warnOnce('persistence', 'tokenward: Redis persists nothing') // not again
 * ```
 */
export function warnOnceThrough(onWarning: (message: string) => void): WarnOnce {
  const given = new Set<string>()
  return (kind, message) => {
    if (given.has(kind)) return
    given.add(kind)
    try {
      onWarning(message)
    } catch {
      // A logging hook must never break the store.
    }
  }
}

/** FNV-1a, 32 bit, as 8 hex digits: a short, runtime-neutral name for a text (not a secret). */
export function fnv1a(text: string): string {
  let h = 0x811c9dc5
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i)
    h = Math.imul(h, 0x01000193) >>> 0
  }
  return h.toString(16).padStart(8, '0')
}

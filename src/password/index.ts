/**
 * `tokenward/password`: argon2id password hashing on `@node-rs/argon2` (N-API: Node, Bun, Deno).
 * Hashing runs on the libuv thread pool, off the event loop. The native module is loaded on first
 * use, so importing this entry point costs nothing until a password is hashed.
 *
 * Passwords are used byte for byte: no trimming, no Unicode normalisation.
 *
 * @packageDocumentation
 */

/** Argon2id cost parameters. */
export interface PasswordOptions {
  /** Memory in KiB (default 19456, OWASP). */
  memoryCost?: number
  /** Iterations (default 2, OWASP). */
  timeCost?: number
  /** Lanes (default 1, OWASP). */
  parallelism?: number
}

/** The OWASP Password Storage Cheat Sheet parameters for argon2id: m = 19456 KiB, t = 2, p = 1. */
export const DEFAULT_PASSWORD_OPTIONS: Readonly<Required<PasswordOptions>> = Object.freeze({
  memoryCost: 19456,
  timeCost: 2,
  parallelism: 1,
})

/** Longest password accepted, in UTF-8 bytes. */
export const MAX_PASSWORD_BYTES = 1024

/** Thrown by {@link hashPassword} for an empty or too long password. */
export class PasswordPolicyError extends Error {
  override readonly name = 'PasswordPolicyError'
  constructor(
    readonly code: 'password_empty' | 'password_too_long',
    message: string,
  ) {
    super(message)
  }
}

interface Argon2 {
  hash(password: string, options: Record<string, number>): Promise<string>
  verify(hash: string, password: string): Promise<boolean>
}

let argon2: Promise<Argon2> | undefined
const load = (): Promise<Argon2> => {
  // A specifier in a variable: bundlers for edge runtimes (where N-API cannot load) leave it alone,
  // so the core, which reaches this module lazily from the auth routes, still bundles.
  const specifier = '@node-rs/argon2'
  argon2 ??= import(/* @vite-ignore */ specifier).then((mod: unknown) => {
    const m = mod as unknown as Argon2 & { default?: Argon2 }
    return typeof m.hash === 'function' ? m : (m.default as Argon2)
  })
  return argon2
}

const bytes = (password: string) => new TextEncoder().encode(password).length

function policy(password: string): PasswordPolicyError | undefined {
  if (typeof password !== 'string' || password.length === 0)
    return new PasswordPolicyError('password_empty', 'the password is empty')
  if (bytes(password) > MAX_PASSWORD_BYTES) {
    return new PasswordPolicyError(
      'password_too_long',
      `the password is longer than ${MAX_PASSWORD_BYTES} bytes`,
    )
  }
  return undefined
}

/**
 * Hashes a password with argon2id (a PHC string with its own random salt).
 *
 * @example
 * ```ts
 * import { hashPassword } from 'tokenward/password'
 * const hash = await hashPassword('correct horse battery staple') // "$argon2id$v=19$m=19456,t=2,p=1$…"
 * ```
 */
export async function hashPassword(password: string, options: PasswordOptions = {}): Promise<string> {
  const error = policy(password)
  if (error) throw error
  const o = { ...DEFAULT_PASSWORD_OPTIONS, ...options }
  // algorithm 2 = Argon2id (a const enum in @node-rs/argon2, unusable under isolatedModules)
  return (await load()).hash(password, {
    algorithm: 2,
    memoryCost: o.memoryCost,
    timeCost: o.timeCost,
    parallelism: o.parallelism,
    outputLen: 32,
  })
}

/**
 * Checks a password against a hash in constant time. `false` — never a throw — for a wrong
 * password, an empty or too long password, or a malformed hash.
 *
 * @example
 * ```ts
 * import { hashPassword, verifyPassword } from 'tokenward/password'
 * const hash = await hashPassword('s3cret-passphrase')
 * await verifyPassword(hash, 's3cret-passphrase') // true
 * ```
 */
export async function verifyPassword(hash: string, password: string): Promise<boolean> {
  if (policy(password) || typeof hash !== 'string' || !hash.startsWith('$argon2')) return false
  try {
    return await (await load()).verify(hash, password)
  } catch {
    return false
  }
}

const PHC = /^\$(argon2(?:id|i|d))\$v=(\d+)\$m=(\d+),t=(\d+),p=(\d+)\$[A-Za-z0-9+/]+\$[A-Za-z0-9+/]+$/

/**
 * True when a hash should be replaced: not argon2id, or made with weaker parameters than wanted.
 *
 * @example
 * ```ts
 * import { hashPassword, needsRehash } from 'tokenward/password'
 * if (needsRehash(user.passwordHash)) user.passwordHash = await hashPassword(password)
 * ```
 */
export function needsRehash(hash: string, options: PasswordOptions = {}): boolean {
  const match = typeof hash === 'string' ? PHC.exec(hash) : null
  if (match?.[1] !== 'argon2id' || match[2] !== '19') return true
  const o = { ...DEFAULT_PASSWORD_OPTIONS, ...options }
  return Number(match[3]) < o.memoryCost || Number(match[4]) < o.timeCost || Number(match[5]) < o.parallelism
}

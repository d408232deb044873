/**
 * `tokenward/password`: argon2id password hashing on `@node-rs/argon2` (N-API: Node, Bun, Deno).
 * Hashing runs on the libuv thread pool, off the event loop. The native module is loaded on first
 * use, so importing this entry point costs nothing until a password is hashed.
 *
 * Hashes made elsewhere keep working: {@link verifyPassword} also checks argon2i / argon2d PHC
 * strings (passlib, argon2-cffi, the reference CLI) and bcrypt `$2a$` / `$2b$` / `$2y$` hashes
 * (passlib, Python `bcrypt`, PHP, bcryptjs) — bcrypt through the optional peer dependency
 * `@node-rs/bcrypt`. {@link needsRehash} says which of them to replace with argon2id.
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

/**
 * Thrown by {@link verifyPassword} for a stored hash it cannot check: `hash_malformed` (an argon2
 * or bcrypt hash that does not parse) or `hash_unsupported` (another scheme, or plain text). The
 * stored hash is the server's data, not the client's input, so this is a bug to fix, not a wrong
 * password. The message names the scheme but never repeats the stored value.
 */
export class PasswordHashError extends TypeError {
  override readonly name = 'PasswordHashError'
  constructor(
    readonly code: 'hash_malformed' | 'hash_unsupported',
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options)
  }
}

interface Argon2 {
  hash(password: string, options: Record<string, number>): Promise<string>
  verify(hash: string, password: string): Promise<boolean>
}

interface Bcrypt {
  /** Password first, then the stored hash (the @node-rs/bcrypt order, unlike argon2's). */
  verify(password: string, hash: string): Promise<boolean>
}

// Each specifier sits in a variable: bundlers for edge runtimes (where N-API cannot load) leave the
// import alone, so the core, which reaches this module lazily from the auth routes, still bundles,
// and neither native module ends up in the core's chunk.
const importNamed = async <T>(specifier: string, member: string): Promise<T> => {
  const mod = (await import(/* @vite-ignore */ specifier)) as Record<string, unknown> & { default?: T }
  return typeof mod[member] === 'function' ? (mod as T) : (mod.default as T)
}

let argon2: Promise<Argon2> | undefined
const loadArgon2 = (): Promise<Argon2> => {
  argon2 ??= importNamed<Argon2>('@node-rs/argon2', 'hash')
  return argon2
}

let bcrypt: Promise<Bcrypt> | undefined
const loadBcrypt = (): Promise<Bcrypt> => {
  bcrypt ??= importNamed<Bcrypt>('@node-rs/bcrypt', 'verify').catch((cause: unknown) => {
    bcrypt = undefined // installed later (or a transient failure): try again on the next login
    throw new Error(
      'tokenward/password: this password hash is bcrypt ($2a$/$2b$/$2y$); verifying it needs the optional ' +
        'peer dependency @node-rs/bcrypt, which could not be loaded. Install it: npm install @node-rs/bcrypt',
      { cause },
    )
  })
  return bcrypt
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

// PHC string format (https://github.com/P-H-C/phc-string-format): unpadded standard base64, as
// passlib, argon2-cffi and the reference implementation write it. No `v=` means version 0x10.
const ARGON2 =
  /^\$argon2(id|i|d)\$(?:v=(\d+)\$)?m=(\d{1,10}),t=(\d{1,10}),p=(\d{1,3})\$[A-Za-z0-9+/]+\$[A-Za-z0-9+/]+$/
// Modular crypt format: cost 04–31, then 22 characters of salt and 31 of hash in bcrypt's own
// base64 alphabet. `$2x$` (the crypt_blowfish sign-extension bug) and `$2$` are not accepted.
const BCRYPT = /^\$2[aby]\$(?:0[4-9]|[12]\d|3[01])\$[./A-Za-z0-9]{53}$/
const SCHEME = /^\$([A-Za-z0-9.-]{1,32})\$/

const ARGON2_SHAPE = '$argon2id$v=19$m=<KiB>,t=<passes>,p=<lanes>$<salt>$<hash> (unpadded base64)'
const BCRYPT_SHAPE = '$2b$<cost 04-31>$<22 characters of salt><31 characters of hash>'

/** Which verifier a stored hash needs; throws {@link PasswordHashError} when none can check it. */
function schemeOf(hash: unknown): 'argon2' | 'bcrypt' {
  if (typeof hash !== 'string' || hash.length === 0) {
    const what = typeof hash === 'string' ? 'an empty string' : hash === null ? 'null' : typeof hash
    throw new PasswordHashError('hash_malformed', `the stored password hash is ${what}, not a hash`)
  }
  if (/^\$argon2(?:id|i|d)\$/.test(hash)) {
    if (ARGON2.test(hash)) return 'argon2'
    throw new PasswordHashError('hash_malformed', `malformed argon2 hash: expected ${ARGON2_SHAPE}`)
  }
  if (/^\$2[aby]\$/.test(hash)) {
    if (BCRYPT.test(hash)) return 'bcrypt'
    throw new PasswordHashError('hash_malformed', `malformed bcrypt hash: expected ${BCRYPT_SHAPE}`)
  }
  const scheme = SCHEME.exec(hash)?.[1]
  throw new PasswordHashError(
    'hash_unsupported',
    (scheme
      ? `unsupported password hash scheme "$${scheme}$"`
      : 'the stored password hash has no "$scheme$" prefix (is a plain-text password stored?)') +
      '; tokenward/password checks argon2 ($argon2id$, $argon2i$, $argon2d$) and bcrypt ($2a$, $2b$, $2y$)',
  )
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
  return (await loadArgon2()).hash(password, {
    algorithm: 2,
    memoryCost: o.memoryCost,
    timeCost: o.timeCost,
    parallelism: o.parallelism,
    outputLen: 32,
  })
}

/**
 * Checks a password against a stored hash in constant time.
 *
 * Accepts argon2id / argon2i / argon2d PHC strings (`v=19`, `v=16` or no version, as passlib and
 * argon2-cffi write them) and bcrypt `$2a$`, `$2b$`, `$2y$` hashes. Bcrypt needs the optional peer
 * dependency `@node-rs/bcrypt`, loaded on the first bcrypt hash seen; without it the call rejects
 * with an `Error` that says to install it — never a silent `false`. Bcrypt reads only the first 72
 * bytes of a password; that is verified as bcrypt always has (so logins made with a longer password
 * keep working), and {@link needsRehash} then moves the account to argon2id, which reads it all.
 *
 * Resolves `false` for a wrong password, and for an empty or over-1024-byte password (the client's
 * input). Rejects with a {@link PasswordHashError} (a `TypeError`) when the STORED hash is
 * malformed (`hash_malformed`) or of another scheme such as `$pbkdf2-sha256$`, `$scrypt$` or plain
 * text (`hash_unsupported`): that is a server bug, not a wrong password, and must not look like one.
 *
 * @example
 * ```ts
 * import { hashPassword, verifyPassword } from 'tokenward/password'
 * const hash = await hashPassword('s3cret-passphrase')
 * await verifyPassword(hash, 's3cret-passphrase') // true
 * // A hash written by passlib's CryptContext(schemes=["bcrypt"]); needs `npm install @node-rs/bcrypt`.
 * const fromPasslib = '$2b$12$G78ACycV42k0holrAIRIC.kf55sL0CQcMzg6OIwEZSo5C6w47ao42'
 * await verifyPassword(fromPasslib, 'correct horse battery staple') // true
 * ```
 */
export async function verifyPassword(hash: string, password: string): Promise<boolean> {
  // The hash is checked (and its verifier loaded) first: a server-side problem surfaces on the
  // first login attempt, whatever the client typed.
  if (schemeOf(hash) === 'bcrypt') {
    const backend = await loadBcrypt()
    if (policy(password)) return false
    return backend.verify(password, hash)
  }
  const backend = await loadArgon2()
  if (policy(password)) return false
  try {
    return await backend.verify(hash, password)
  } catch (cause) {
    // Out-of-range parameters, a short salt or an undecodable field: the regex checks the shape only.
    const reason = cause instanceof Error ? cause.message : String(cause)
    throw new PasswordHashError('hash_malformed', `malformed argon2 hash: ${reason}`, { cause })
  }
}

/**
 * True when a hash should be replaced: bcrypt, argon2i / argon2d, an argon2 version other than
 * 0x13, weaker parameters than `options` (default {@link DEFAULT_PASSWORD_OPTIONS}), or a value
 * that is not an argon2 hash at all. Never throws. The auth routes call it after a successful
 * login and hand the new argon2id hash to `updatePasswordHash(user, newHash)`.
 *
 * @example
 * ```ts
 * import { hashPassword, needsRehash } from 'tokenward/password'
 * const user = { passwordHash: '$2b$12$G78ACycV42k0holrAIRIC.kf55sL0CQcMzg6OIwEZSo5C6w47ao42' }
 * if (needsRehash(user.passwordHash)) user.passwordHash = await hashPassword('correct horse battery staple')
 * ```
 */
export function needsRehash(hash: string, options: PasswordOptions = {}): boolean {
  const match = typeof hash === 'string' ? ARGON2.exec(hash) : null
  if (match?.[1] !== 'id' || match[2] !== '19') return true
  const o = { ...DEFAULT_PASSWORD_OPTIONS, ...options }
  return Number(match[3]) < o.memoryCost || Number(match[4]) < o.timeCost || Number(match[5]) < o.parallelism
}

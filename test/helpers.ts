/** Small helpers the core and HTTP tests share. */
import { expect } from 'vitest'
import { AuthError, type AuthErrorCode } from '../src/index.js'

export const SECRET = 'test-secret-that-is-at-least-32-bytes-long'

export const b64 = (value: unknown) =>
  Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url')

/** The code of the AuthError `promise` rejects with; fails the test when it resolves or throws another error. */
export async function codeOf(promise: Promise<unknown>): Promise<AuthErrorCode> {
  try {
    await promise
  } catch (err) {
    expect(err).toBeInstanceOf(AuthError)
    return (err as AuthError).code
  }
  throw new Error('expected an AuthError, the call succeeded')
}

/** An injectable clock, epoch ms. */
export function clock(start = Date.UTC(2026, 0, 1)) {
  let t = start
  return { now: () => t, advance: (s: number) => (t += s * 1000) }
}

/** The ids and cutoff the core checks for `token`, to ask the store directly. */
export function checkOf(token: string) {
  const claims = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as {
    jti: string
    fid: string
    sub: string
    iat: number
  }
  return [[claims.jti, claims.fid], { subject: claims.sub, issuedAt: claims.iat }] as const
}

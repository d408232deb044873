/**
 * Revocation: one token (an access or one-time token until its `exp`; a refresh token takes its
 * whole family with it) and a whole subject ("log out everywhere": a cutoff before which every
 * token of the subject is rejected).
 */
import { type AuthCore, keysOf, withRealm } from './context.js'
import { type Binding, bindingOf, isBound, type Presented } from './credentials/binding.js'
import { requireBinding } from './dpop.js'
import { AuthError, storeCall } from './errors.js'
import { checkSubject } from './jws/claims.js'
import {
  checkSignature,
  decodePayload,
  isThirdPartyAccessTyp,
  kindOfTyp,
  parseToken,
  type TokenKind,
} from './jws/tokens.js'
import { forgetSessions, revokeFamily } from './sessions.js'
import type { RevokeOptions } from './types/index.js'
import { revocationId } from './verify.js'

/** What the caller of a revocation proved, asked only when the token is bound (S3). */
export type Prover = (binding: Binding) => Presented | Promise<Presented>

/** What a revocation ended: the token's subject and kind, and its session when it took the session. */
export interface Revoked {
  sub: string
  kind: TokenKind
  fid: string | undefined
}

/**
 * `auth.revoke`: the signature must check out; expiry does not matter (a stale token is harmless,
 * and an expired access token still names the session to end). With `prove` (the auth routes: a
 * request, not the application itself, asks), a token bound to a key or a confidential client is
 * revoked only when `prove` shows that binding (session invariant S3); it is asked after the
 * signature checked out, so an anonymous request with a forged token makes the server store
 * nothing (not even a DPoP proof's `jti`).
 */
export async function revoke(
  core: AuthCore,
  token: string,
  options?: RevokeOptions & { prove?: Prover | undefined },
): Promise<Revoked | undefined> {
  try {
    const parsed = parseToken(token, core.settings.maxTokenLength)
    await checkSignature(parsed, await keysOf(core))
    // Under verifyProfile 'jwt', a third-party access token (typ JWT or none) can be revoked too.
    const foreign = core.settings.profile === 'jwt' && isThirdPartyAccessTyp(parsed.header.typ)
    const kind = foreign ? 'access' : kindOfTyp(parsed.header.typ)
    if (!kind) throw new AuthError('token_wrong_type', 'only tokens issued by tokenward can be revoked')
    const payload = decodePayload(parsed)
    const sub = typeof payload.sub === 'string' ? payload.sub : undefined
    const jti = foreign
      ? await revocationId(token, payload.jti)
      : typeof payload.jti === 'string'
        ? payload.jti
        : undefined
    const exp = typeof payload.exp === 'number' ? payload.exp : undefined
    if (!sub || !jti || exp === undefined)
      throw new AuthError('token_claim_invalid', 'the token lacks sub, jti or exp')
    const binding = bindingOf(payload, core.settings.clients)
    if (options?.prove && isBound(binding)) requireBinding(core, payload, await options.prove(binding))
    const fid = !foreign && typeof payload.fid === 'string' ? payload.fid : undefined
    if (fid && (kind === 'refresh' || options?.session === true)) {
      await revokeFamily(core, fid, sub)
    } else {
      // An access or one-time token stays revoked until it would have expired anyway.
      const until = exp + core.settings.tolerance
      if (until <= core.now() / 1000) return { sub, kind, fid: undefined }
      await storeCall(() => core.store.revoke(jti, until, sub))
    }
    core.emit({ type: 'token_revoked', sub, kind, fid })
    return { sub, kind, fid: fid && (kind === 'refresh' || options?.session === true) ? fid : undefined }
  } catch (err) {
    throw withRealm(core, err)
  }
}

/**
 * `auth.revokeSubject`: every token of `sub` issued until now is rejected, and one issued right
 * after passes — within the same second too. The cutoff is kept to the millisecond and compared
 * with each token's issue instant: its whole-second `iat` refined by the millisecond stamp in front
 * of the `jti` tokenward writes (`issueInstant` in jws/tokens.ts). Within one process issue instants
 * stay strictly after the last cutoff (`issueAt`), so a token signed in the very millisecond of the
 * cutoff is after it too. Third-party tokens (`verifyProfile: 'jwt'`) compare to the second.
 */
export async function revokeSubject(core: AuthCore, sub: string): Promise<void> {
  checkSubject(sub, 'revokeSubject')
  const nowMs = Math.max(core.now(), core.lastCutoffMs)
  core.lastCutoffMs = nowMs
  const until = nowMs / 1000 + core.settings.familyLifetime
  try {
    await storeCall(() => core.store.setCutoff(sub, nowMs / 1000, until))
  } catch (err) {
    throw withRealm(core, err)
  }
  // Every session is cut off: its record goes too (a record takes room, and counts against the cap).
  await forgetSessions(core, sub)
  core.emit({ type: 'subject_revoked', sub })
}

/**
 * Session invariant S3 (docs/security.md): a token bound to a confidential client or to a key is
 * honoured only with that binding. This is the one place that rule is decided for the routes that
 * manage tokens (refresh, token, logout, revoke, reauthenticate), through the operation each calls;
 * resource use (me, sessions, the app's routes) checks a key binding in `authenticate`.
 *
 * - Bound to a key: the token's `cnf.jkt` (RFC 9449 §6). Only a DPoP proof of that key will do.
 * - Bound to a client: the token's `client_id` names a CONFIDENTIAL client (one with a secret in
 *   `clients`): only that client's authentication will do where tokens are managed (RFC 6749 §6,
 *   RFC 7009 §2.1); at a resource it is a bearer token (RFC 6750). A token of a public client is not
 *   sender-constrained: naming the client proves nothing, so it is not asked. Introspection is
 *   open to every confidential client (a resource server introspects others' tokens).
 * - A request that authenticates as a client may use only that client's tokens (RFC 6749 §6).
 */
import { AuthError } from '../errors.js'
import type { ClientOptions } from '../types/index.js'

/** What a request proved: the thumbprint of its DPoP proof's key, the client it authenticated as. */
export interface Presented {
  /** RFC 7638 thumbprint of the key of a valid DPoP proof of this request. */
  jkt?: string | undefined
  /** The `client_id` of the client this request authenticated as (a secret checked, or a public client named). */
  client?: string | undefined
}

/** What a token needs to be honoured: the key it is bound to, the confidential client it was issued to. */
export interface Binding {
  key: string | undefined
  client: string | undefined
}

/** The thumbprint a token is bound to (`cnf.jkt`), or `undefined`. */
export function boundKey(claims: Record<string, unknown>): string | undefined {
  const cnf = claims.cnf
  if (typeof cnf !== 'object' || cnf === null) return undefined
  const jkt = (cnf as { jkt?: unknown }).jkt
  return typeof jkt === 'string' ? jkt : undefined
}

/** The binding of a token under `clients`. */
export function bindingOf(
  claims: Record<string, unknown>,
  clients: Readonly<Record<string, ClientOptions>> | undefined,
): Binding {
  const id = claims.client_id
  const confidential =
    typeof id === 'string' &&
    clients !== undefined &&
    Object.hasOwn(clients, id) &&
    clients[id]?.secret !== undefined
  return { key: boundKey(claims), client: confidential ? (id as string) : undefined }
}

/** True when the token needs something the bare token does not carry. */
export function isBound(binding: Binding): boolean {
  return binding.key !== undefined || binding.client !== undefined
}

/**
 * Throws unless `presented` satisfies the token's binding: `invalid_dpop_proof` without a proof of
 * the bound key, `invalid_client` without the confidential client's authentication,
 * `token_claim_invalid` (claim `client_id`) for another client's token.
 */
export function checkBinding(
  claims: Record<string, unknown>,
  clients: Readonly<Record<string, ClientOptions>> | undefined,
  presented: Presented,
): void {
  const { key, client } = bindingOf(claims, clients)
  if (key !== undefined && presented.jkt !== key)
    throw new AuthError(
      'invalid_dpop_proof',
      presented.jkt === undefined
        ? 'this token is DPoP-bound: the request needs a DPoP proof of its key'
        : 'the DPoP proof is signed by another key than the token is bound to',
    )
  // RFC 6749 §6: a client may use only its own tokens — whichever client it is.
  const issuedTo = claims.client_id
  if (presented.client !== undefined && issuedTo !== undefined && issuedTo !== presented.client)
    throw new AuthError('token_claim_invalid', 'the token was issued to another client', {
      claim: 'client_id',
    })
  if (client !== undefined && presented.client !== client)
    throw new AuthError(
      'invalid_client',
      'this token was issued to a confidential client: the client must authenticate',
    )
}

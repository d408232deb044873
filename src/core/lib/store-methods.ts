/**
 * Which methods make a {@link TokenStore}, and which of them a given store has: checked once by
 * `createAuth` (options/), asked by the session operations and the session routes.
 */
import { SESSION_STORE_METHODS, type TokenStore } from '../../stores/types.js'

/** The methods every TokenStore has, in the order error messages name them. */
export const TOKEN_STORE_METHODS = [
  'revoke',
  'isRevoked',
  'consume',
  'setCutoff',
  'getCutoff',
  'hit',
] as const

/** The names among `methods` that `store` has no function for. */
export function missingMethods(store: object, methods: readonly string[]): string[] {
  return methods.filter((name) => typeof (store as Record<string, unknown>)[name] !== 'function')
}

/** The session methods `store` lacks (all four for a store that keeps no records). */
export function missingSessionMethods(store: TokenStore): string[] {
  return missingMethods(store, SESSION_STORE_METHODS)
}

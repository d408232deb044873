/**
 * tokenward: framework-agnostic JWT authentication. The pure core: runs on Node, Deno, Bun and
 * any Web-standard runtime.
 *
 * @packageDocumentation
 */
export { type Duration, type DurationUnit, toSeconds } from './core/duration.js'
export {
  AUTH_ERROR_STATUS,
  AuthError,
  type AuthErrorCode,
  type AuthErrorOptions,
  isAuthError,
} from './core/errors.js'
export { type MemoryStoreOptions, memoryStore } from './stores/memory.js'
export type { CutoffCheck, TokenStore } from './stores/types.js'

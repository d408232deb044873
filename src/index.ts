/**
 * tokenward: framework-agnostic JWT authentication. The pure core: runs on Node, Deno, Bun and
 * any Web-standard runtime.
 *
 * @packageDocumentation
 */
export {
  type AccessClaims,
  type Auth,
  type AuthContext,
  type AuthEvent,
  type AuthenticateOptions,
  type AuthOptions,
  type AuthSettings,
  type ClaimsInput,
  type CredentialSource,
  type CredentialsInput,
  createAuth,
  type DefaultClaims,
  type RefreshOptions,
  type StandardSchemaV1,
  type TokenPair,
} from './core/auth.js'
export type { RegisteredClaims } from './core/claims.js'
export {
  ASYMMETRIC_ALGORITHMS,
  HMAC_ALGORITHMS,
  TYP_ACCESS,
  TYP_ONE_TIME,
  TYP_REFRESH,
} from './core/constants.js'
export type { CookieOptions, ResolvedCookies } from './core/cookies.js'
export { type Duration, type DurationUnit, toSeconds } from './core/duration.js'
export {
  AUTH_ERROR_STATUS,
  AuthError,
  type AuthErrorCode,
  type AuthErrorOptions,
  isAuthError,
} from './core/errors.js'
export type { Requirement, RoleHierarchy } from './core/guards.js'
export {
  AUTH_ROUTES,
  type AuthRouteOptions,
  type AuthRouteRequest,
  type AuthRouteResponse,
  type AuthRoutes,
  type BodyFields,
  clientAddress,
  createAuthRoutes,
  errorResponse,
  getHeader,
  type HeadersInput,
  parseBody,
  type RateLimitOptions,
  rateLimitAddress,
} from './core/http.js'
export type {
  Algorithm,
  AsymmetricAlgorithm,
  HmacAlgorithm,
  JSONWebKeySet,
  JWK,
  KeyInput,
  KeyOptions,
} from './core/keys.js'
export type { TokenKind } from './core/tokens.js'
export { type MemoryStoreOptions, memoryStore } from './stores/memory.js'
export type { CutoffCheck, TokenStore } from './stores/types.js'

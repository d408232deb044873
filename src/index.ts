/**
 * tokenward: framework-agnostic JWT authentication. The pure core: runs on Node, Deno, Bun and
 * any Web-standard runtime.
 *
 * @packageDocumentation
 */

export { createAuth } from './core/auth.js'
export type { CookieOptions, ResolvedCookies } from './core/credentials/cookies.js'
export type { CsrfKeys } from './core/credentials/csrf.js'
export {
  AUTH_ERROR_STATUS,
  AuthError,
  type AuthErrorCode,
  type AuthErrorOptions,
  type DpopChallenge,
  isAuthError,
} from './core/errors.js'
export type { Requirement, RoleHierarchy } from './core/guards.js'
export type { RegisteredClaims } from './core/jws/claims.js'
export type { TokenKind, VerifyProfile } from './core/jws/tokens.js'
export type {
  Algorithm,
  AsymmetricAlgorithm,
  HmacAlgorithm,
  JSONWebKeySet,
  JWK,
  KeyInput,
  KeyOptions,
  KeyResolver,
  KeyResolverInput,
} from './core/keys/index.js'
export {
  ASYMMETRIC_ALGORITHMS,
  HMAC_ALGORITHMS,
  TYP_ACCESS,
  TYP_ONE_TIME,
  TYP_REFRESH,
} from './core/lib/constants.js'
export { type Duration, type DurationUnit, toSeconds } from './core/lib/duration.js'
export type {
  AccessClaims,
  Auth,
  AuthContext,
  AuthEvent,
  AuthenticateOptions,
  AuthOptions,
  ClaimsInput,
  ClientOptions,
  CredentialSource,
  CredentialsInput,
  DefaultClaims,
  DpopOptions,
  HeadersInput,
  IssueOptions,
  RefreshOptions,
  RevokeOptions,
  Session,
  SessionPageOptions,
  SessionsPage,
  StandardSchemaV1,
  StepUpOptions,
  StepUpTokens,
  TokenPair,
} from './core/types/index.js'
export type { OAuthErrorCode } from './http/oauth.js'
export { authOpenApi, type OpenApiDocument } from './http/openapi.js'
export { createAuthRoutes } from './http/routes/index.js'
export type {
  AuthRouteOptions,
  AuthRouteRequest,
  AuthRouteResponse,
  AuthRoutes,
  RateLimitOptions,
} from './http/types.js'
export { type MemoryStoreOptions, memoryStore } from './stores/memory/index.js'
export type {
  CutoffCheck,
  RefreshSpend,
  SaveSessionOptions,
  SessionPage,
  SessionRecord,
  SessionStore,
  SpendVerdict,
  TokenStore,
} from './stores/types.js'

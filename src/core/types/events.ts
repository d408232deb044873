/** The audit events `onEvent` receives (re-exported by types/index.ts). */
import type { TokenKind } from '../jws/tokens.js'

/** An audit event. Never carries a token or a password. */
export type AuthEvent = {
  /** Epoch ms. */
  at: number
} & (
  | { type: 'tokens_issued'; sub: string; fid: string }
  | { type: 'token_refreshed'; sub: string; fid: string }
  | { type: 'refresh_reused'; sub: string; fid: string }
  | { type: 'token_revoked'; sub: string; kind: TokenKind; fid?: string | undefined }
  | { type: 'subject_revoked'; sub: string }
  | { type: 'session_revoked'; sub: string; fid: string }
  | { type: 'one_time_token_consumed'; sub: string; purpose: string }
  | { type: 'authentication_failed'; code: string; reason: string }
  | { type: 'login_succeeded'; username: string; sub: string; address: string }
  | { type: 'login_failed'; username: string; address: string; reason: string }
  | { type: 'rate_limited'; username: string; address: string; reason: string }
  | { type: 'logout'; sub: string }
  | {
      type: 'error'
      /** The application callback (or tokenward step) that threw: `resolveUser`, `findUser`, `claimsFor` … */
      source: string
      /** What it threw. It reaches the framework's error handling too (a 500, not a 503). */
      error: unknown
    }
  | {
      type: 'warning'
      /** What is weaker than it should be, and how to fix it. Sent once per cause. */
      message: string
    }
)

/**
 * The key layout of redisStore. `{tag}` = a hash of the subject: every key of one user lands in one
 * Cluster slot, so the one multi-key command (the MGET of the revocation check) never crosses
 * slots; each other command has one key.
 *
 * - `<prefix>{<tag>}:r:<subject>:<id>` — a revocation mark (token or family id);
 * - `<prefix>{<tag>}:c:<subject>` — the subject's cutoff;
 * - `<prefix>{<tag>}:u:<subject>:<id>` — a spent one-time token;
 * - `<prefix>{<tag>}:f:<subject>:<family>` — a refresh family's spend state;
 * - `<prefix>{<tag>}:si|sl|sr:<subject>` — the subject's session records (./sessions.ts);
 * - `<prefix>{h:<hash>}:h:<key>` — a rate-limit counter (outside the hex tags the verdict cache tracks).
 */
import { fnv1a } from '../util.js'

/** The keys of one store. */
export interface RedisKeys {
  /** `<prefix>{<tag of subject>}`: the start of every key of `subject`. */
  subject(subject: string): string
  /** A key of `kind` for `id` under `subject`'s hash tag. */
  of(kind: string, id: string, subject?: string): string
  cutoff(subject: string): string
  counter(key: string): string
}

/** The keys of a store with `prefix`. */
export function redisKeys(prefix: string): RedisKeys {
  const subjectKey = (subject: string) => `${prefix}{${fnv1a(subject)}}`
  return {
    subject: subjectKey,
    of: (kind, id, subject) =>
      `${subjectKey(subject ?? '')}:${kind}:${encodeURIComponent(subject ?? '')}:${encodeURIComponent(id)}`,
    cutoff: (subject) => `${subjectKey(subject)}:c:${encodeURIComponent(subject)}`,
    counter: (key) => `${prefix}{h:${fnv1a(key)}}:h:${encodeURIComponent(key)}`,
  }
}

/** Epoch seconds as whole milliseconds, for `PXAT` and the scripts. */
export const msOf = (seconds: number) => String(Math.ceil(seconds * 1000))

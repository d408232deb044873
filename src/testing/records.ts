/**
 * Session records for the sessions sections of the conformance kit, and how the checks compare
 * them.
 *
 * @internal
 */
import { expect } from 'vitest'
import type { SessionRecord } from '../stores/types.js'
import type { CheckKit } from './kit.js'

/** A record of `subject` made now by the kit's clock, alive for ten minutes, with `overrides`. */
export function recordMaker({ sec, unique }: Pick<CheckKit, 'sec' | 'unique'>) {
  return (subject: string, overrides: Partial<SessionRecord> = {}): SessionRecord => {
    const at = Math.floor(sec()) + 0.123
    return {
      id: unique('fid'),
      subject,
      createdAt: at,
      lastUsedAt: at,
      expiresAt: Math.floor(sec()) + 600,
      userAgent: 'Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0',
      address: '2001:db8:1:2::/64',
      ...overrides,
    }
  }
}

/** `r` as the checks expect it back: times compared to the millisecond, as cutoffs ("log out everywhere") are. */
export const like = (r: SessionRecord) => ({
  ...r,
  createdAt: expect.closeTo(r.createdAt, 3),
  lastUsedAt: expect.closeTo(r.lastUsedAt, 3),
  expiresAt: expect.closeTo(r.expiresAt, 3),
})

/** Orders records by id, for lists given in any order. */
export const byId = (a: SessionRecord, b: SessionRecord) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)

/** The ids of `records`, sorted. */
export const idsOf = (records: readonly SessionRecord[]) => records.map((r) => r.id).sort()

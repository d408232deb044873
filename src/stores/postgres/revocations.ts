/**
 * The revocation part of postgresStore: `isRevoked` — ONE statement on a cache miss, none on a hit —
 * and the writes the verdict cache must hear of at once (`revoke`, `setCutoff`), plus `getCutoff`.
 */
import type { CutoffCheck, TokenStore } from '../types.js'
import { finite } from './options.js'
import { type Runner, unexpected } from './runner.js'
import type { Statements } from './statements.js'
import type { CheckRows, VerdictCache } from './verdict-cache/index.js'

/** What the revocation methods need of the store around them (./index.ts). */
export interface RevocationDeps {
  sql: Statements
  run: Runner['run']
  cache: VerdictCache
  /** Epoch seconds. */
  now: () => number
}

/** Reads the check's rows into what the cache keeps; throws on a hot standby (fail closed). */
function checkRows(rows: unknown[][]): CheckRows {
  const revoked = new Map<string, number>()
  let cutoff: CheckRows['cutoff'] = null
  for (const row of rows) {
    const kind = Number(row[0])
    if (kind === 0) revoked.set(String(row[1]), Number(row[3]))
    else if (kind === 1) cutoff = { at: Number(row[2]), expiresAt: Number(row[3]) }
    else if (kind === 2)
      throw new Error(
        'tokenward: the PostgreSQL server is a hot standby: its answers may lag the primary, so the ' +
          'token store refuses them — connect the store to the primary',
      )
    else throw unexpected('the revocation check', row)
  }
  return { revoked, cutoff }
}

/** `isRevoked`, `revoke`, `setCutoff` and `getCutoff` over `deps`. */
export function postgresRevocations({
  sql,
  run,
  cache,
  now,
}: RevocationDeps): Pick<TokenStore, 'isRevoked' | 'revoke' | 'setCutoff' | 'getCutoff'> {
  const fetchRevoked = async (ids: readonly string[], cutoff: CutoffCheck | undefined) => {
    const read = cache.begin(ids, cutoff?.subject)
    let rows: CheckRows
    try {
      rows = checkRows(await run(sql.isRevoked, [ids, cutoff?.subject ?? null, now()]))
    } catch (err) {
      cache.failed(read)
      throw err
    }
    cache.end(read, rows)
    if (rows.revoked.size > 0) return true
    return cutoff !== undefined && rows.cutoff !== null && cutoff.issuedAt <= rows.cutoff.at
  }

  /** An own write of a revocation or a cutoff: the key leaves the cache before and after. */
  const write = async (kind: 'r' | 'c', key: string, text: string, values: readonly unknown[]) => {
    cache.written(kind, key)
    try {
      await run(text, values)
    } finally {
      cache.written(kind, key)
    }
  }

  return {
    // ONE statement: the ids' revocations and the subject's cutoff. When the cache knows every
    // id and the subject, no statement at all: the answer is synchronous.
    isRevoked(ids, cutoff?: CutoffCheck) {
      if (ids.length === 0 && cutoff === undefined) return false
      if (cutoff !== undefined) finite(cutoff.issuedAt, 'issuedAt')
      const known = cache.answer(ids, cutoff?.subject, cutoff?.issuedAt)
      if (known !== undefined) return known
      return fetchRevoked(ids, cutoff)
    },
    async revoke(id, expiresAt) {
      if (finite(expiresAt, 'expiresAt') <= now()) return
      await write('r', id, sql.revoke, [id, expiresAt])
    },
    async setCutoff(subject, at, expiresAt) {
      const values = [subject, finite(at, 'the cutoff'), finite(expiresAt, 'expiresAt'), now()]
      await write('c', subject, sql.setCutoff, values)
    },
    async getCutoff(subject) {
      const rows = await run(sql.getCutoff, [subject, now()])
      if (rows.length === 0) return null
      const at = Number(rows[0]![0])
      if (Number.isNaN(at)) throw unexpected('getCutoff', rows[0]![0])
      return at
    },
  }
}

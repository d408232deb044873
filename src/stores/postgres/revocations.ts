/**
 * The revocation part of postgresStore: `isRevoked` — ONE statement on a verdict-cache miss, none
 * on a hit — and the writes the verdict cache must drop at once (`revoke`, `setCutoff`), plus
 * `getCutoff`. How the check maps onto the cache: a token id is a key of its revocation table, a
 * subject a key of its cutoff table — exactly the `r:<id>` and `c:<subject>` the triggers announce.
 */
import type { CutoffCheck, TokenStore } from '../types.js'
import type { Read, Verdicts } from '../verdict-cache/index.js'
import { finite } from './options.js'
import { type Runner, unexpected } from './runner.js'
import type { Statements } from './statements.js'

/** What the revocation methods need of the store around them (./index.ts). */
export interface RevocationDeps {
  sql: Statements
  run: Runner['run']
  verdicts: Verdicts
  /** Epoch seconds. */
  now: () => number
}

/** What one revocation check read: the present revocations (id → expiry, epoch s) and the cutoff. */
interface CheckRows {
  revoked: ReadonlyMap<string, number>
  cutoff: { at: number; expiresAt: number } | null
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
/** Gives the cache what the check read: every id and the subject, found (with its row's expiry) or not. */
function learn(verdicts: Verdicts) {
  return (rows: CheckRows, read: Read): undefined => {
    for (let i = 0; i < read.count; i++) {
      const id = read.ids[i]!
      const expiresAt = rows.revoked.get(id)
      verdicts.keep(
        read,
        'revocation',
        id,
        expiresAt === undefined ? null : { at: 0, expiresAt: expiresAt * 1000 },
      )
    }
    if (read.cutoff !== undefined) {
      const cut = rows.cutoff
      verdicts.keep(
        read,
        'cutoff',
        read.cutoff,
        cut === null ? null : { at: cut.at, expiresAt: cut.expiresAt * 1000 },
      )
    }
    return undefined
  }
}

export function postgresRevocations({
  sql,
  run,
  verdicts,
  now,
}: RevocationDeps): Pick<TokenStore, 'isRevoked' | 'revoke' | 'setCutoff' | 'getCutoff'> {
  const kept = learn(verdicts)
  const fetchRevoked = async (ids: readonly string[], cutoff: CutoffCheck | undefined) => {
    const subject = cutoff?.subject
    const rows = await verdicts.fetch(
      ids,
      ids.length,
      subject,
      async () => checkRows(await run(sql.isRevoked, [ids, subject ?? null, now()])),
      kept,
    )
    if (rows.revoked.size > 0) return true
    return cutoff !== undefined && rows.cutoff !== null && cutoff.issuedAt <= rows.cutoff.at
  }

  return {
    // ONE statement: the ids' revocations and the subject's cutoff. When the cache knows every
    // id and the subject, no statement at all: the answer is synchronous.
    isRevoked(ids, cutoff?: CutoffCheck) {
      if (ids.length === 0 && cutoff === undefined) return false
      if (cutoff !== undefined) finite(cutoff.issuedAt, 'issuedAt')
      const known = verdicts.answer(ids, ids.length, cutoff?.subject, cutoff?.issuedAt)
      if (known !== undefined) return known
      return fetchRevoked(ids, cutoff)
    },
    async revoke(id, expiresAt) {
      if (finite(expiresAt, 'expiresAt') <= now()) return
      await verdicts.write('revocation', id, () => run(sql.revoke, [id, expiresAt]))
    },
    async setCutoff(subject, at, expiresAt) {
      const values = [subject, finite(at, 'the cutoff'), finite(expiresAt, 'expiresAt'), now()]
      await verdicts.write('cutoff', subject, () => run(sql.setCutoff, values))
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

// A whole TokenStore over plain maps, with an injected clock and a round trip before every answer
// (like a remote store), for the kit's own tests: each flaw is one classic mistake a real
// implementation of the optional parts makes (a read-modify-write, a WHERE without the subject, an
// expiry overwritten with a shorter one …), and the kit must catch every one of them.
import { memoryStore } from '../../src/index.js'
import type {
  RefreshSpend,
  SaveSessionOptions,
  SessionPage,
  SessionRecord,
  SpendVerdict,
  TokenStore,
} from '../../src/stores/types.js'

export type SketchFlaw =
  // spendRefresh / spentGeneration
  | 'spend reads, then writes'
  | 'spend shortens the state'
  | 'spend writes when revoked'
  | 'spend ignores the cutoff'
  | 'spend rotates any other generation'
  | 'reused lowers the state'
  | 'grace runs from the last presentation'
  | 'grace window is one-sided'
  | 'grace retries are unlimited'
  | 'touch whatever the verdict'
  | 'touch creates a record'
  | 'spentGeneration creates a state'
  // saveSession with maxPerSubject
  | 'cap forgets without revoking'
  | 'cap revokes under no subject'
  | 'cap counts, then writes'
  | 'cap may end the new record'
  | 'cap ends ties by the largest id'
  | 'cap orders by the second'
  | 'cap counts expired records'
  | 'cap counts every subject'
  | 'cap ends on a replacing save'
  // pages, getSession, deleteSessions
  | 'page after is inclusive'
  | 'page after needs the record'
  | 'page ties by the largest id'
  | 'page ignores limit'
  | 'page returns expired records'
  | 'getSession ignores the subject'
  | 'getSession returns expired records'
  | 'deleteSessions forgets every subject'

/** Lets every other pending call run: what a network round trip does between two commands. */
export const roundTrip = () => new Promise<void>((resolve) => setImmediate(resolve))

type Place = { createdAt: number; id: string }
const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0)

/** The sketch store; `flaws` names the mistakes it makes. */
export function sketchStore(now: () => number, flaws: ReadonlySet<SketchFlaw> = new Set()): TokenStore {
  const has = (flaw: SketchFlaw) => flaws.has(flaw)
  const base = memoryStore({ now }) // consume and hit only
  const revoked = new Map<string, number>() // subject \0 id → expiry ms
  const cutoffs = new Map<string, { at: number; exp: number }>()
  const states = new Map<string, FamilyState>()
  const rkey = (id: string, subject = '') => `${subject}\0${id}`
  const { records, listOf, put, touch } = sketchRecords(now, has)
  const isRevoked = (ids: readonly string[], subject?: string, issuedAt?: number) => {
    for (const id of ids) if ((revoked.get(rkey(id, subject)) ?? 0) > now()) return true
    const cut = subject === undefined ? undefined : cutoffs.get(subject)
    return !!cut && cut.exp > now() && issuedAt !== undefined && issuedAt <= cut.at
  }
  /** The revocation check of a spend. */
  const spendRevoked = (spend: RefreshSpend) =>
    isRevoked(spend.ids, spend.subject, has('spend ignores the cutoff') ? undefined : spend.issuedAt)
  const decide = (spend: RefreshSpend, state: FamilyState | undefined) =>
    decideSpend(spend, state, states, has, spendRevoked)

  return {
    ...base,
    async revoke(id, expiresAt, subject) {
      await roundTrip()
      revoked.set(rkey(id, subject), Math.max(expiresAt * 1000, revoked.get(rkey(id, subject)) ?? 0))
    },
    async isRevoked(ids, cutoff) {
      await roundTrip()
      return isRevoked(ids, cutoff?.subject, cutoff?.issuedAt)
    },
    async setCutoff(subject, at, expiresAt) {
      await roundTrip()
      const prev = cutoffs.get(subject)
      cutoffs.set(subject, {
        at: Math.max(at, prev?.at ?? at),
        exp: Math.max(expiresAt * 1000, prev?.exp ?? 0),
      })
    },
    async getCutoff(subject) {
      await roundTrip()
      const cut = cutoffs.get(subject)
      return cut && cut.exp > now() ? cut.at : null
    },
    async spendRefresh(spend) {
      const live = () => {
        const s = states.get(spend.family)
        return s && s.exp > now() ? { ...s } : undefined
      }
      const before = live()
      await roundTrip()
      const verdict = decide(spend, has('spend reads, then writes') ? before : live())
      const moves = verdict === 'rotate' || verdict === 'retry' || has('touch whatever the verdict')
      if (spend.touch && moves)
        touch(spend.subject, spend.family, spend.touch.lastUsedAt, spend.touch.expiresAt)
      return verdict
    },
    async spentGeneration(family) {
      await roundTrip()
      const s = states.get(family)
      if (!s && has('spentGeneration creates a state'))
        states.set(family, { generation: 0, first: now(), retries: 0, exp: now() + 600_000 })
      return s && s.exp > now() ? s.generation : null
    },
    ...sketchSessions({ now, has, revoked, rkey, records, listOf, put, touch }),
  }
}

/** The session records of the sketch, by subject. */
function sketchRecords(now: () => number, has: (flaw: SketchFlaw) => boolean) {
  const records = new Map<string, SessionRecord[]>()
  const alive = (r: SessionRecord) => r.expiresAt * 1000 > now()
  const listOf = (subject: string) => (records.get(subject) ?? []).filter(alive)
  const put = (record: SessionRecord) =>
    records.set(record.subject, [
      ...(records.get(record.subject) ?? []).filter((r) => r.id !== record.id),
      { ...record },
    ])
  const touch = (subject: string, id: string, lastUsedAt: number, expiresAt: number) => {
    const r = listOf(subject).find((x) => x.id === id)
    if (!r) {
      if (!has('touch creates a record')) return false
      put({ id, subject, createdAt: lastUsedAt, lastUsedAt, expiresAt, userAgent: null, address: null })
      return true
    }
    r.lastUsedAt = Math.max(r.lastUsedAt, lastUsedAt)
    r.expiresAt = Math.max(r.expiresAt, expiresAt)
    return true
  }
  return { records, listOf, put, touch }
}

type FamilyState = { generation: number; first: number; retries: number; exp: number }

/** The verdict on `spend` given the family's `state` (with the flaws of `has`), writing the new state. */
function decideSpend(
  spend: RefreshSpend,
  state: FamilyState | undefined,
  states: Map<string, FamilyState>,
  has: (flaw: SketchFlaw) => boolean,
  spendRevoked: (spend: RefreshSpend) => boolean,
): SpendVerdict {
  const { generation: g } = spend
  if (!has('spend writes when revoked') && spendRevoked(spend)) return 'revoked'
  const exp = has('spend shortens the state')
    ? spend.expiresAt * 1000
    : Math.max(spend.expiresAt * 1000, state?.exp ?? 0)
  let verdict: SpendVerdict
  if (
    !state ||
    g > state.generation ||
    (has('spend rotates any other generation') && g !== state.generation)
  ) {
    states.set(spend.family, { generation: g, first: spend.now, retries: 0, exp })
    verdict = 'rotate'
  } else if (
    g === state.generation &&
    (has('grace window is one-sided')
      ? spend.now - state.first < spend.graceSeconds * 1000
      : Math.abs(spend.now - state.first) < spend.graceSeconds * 1000) &&
    (state.retries < spend.graceRetries || has('grace retries are unlimited'))
  ) {
    states.set(spend.family, {
      ...state,
      retries: state.retries + 1,
      first: has('grace runs from the last presentation') ? spend.now : state.first,
      exp,
    })
    verdict = 'retry'
  } else {
    if (has('reused lowers the state')) states.set(spend.family, { ...state, generation: g })
    verdict = 'reused'
  }
  if (has('spend writes when revoked') && spendRevoked(spend)) return 'revoked'
  return verdict
}

interface SessionDeps {
  now: () => number
  has: (flaw: SketchFlaw) => boolean
  revoked: Map<string, number>
  rkey: (id: string, subject?: string) => string
  records: Map<string, SessionRecord[]>
  listOf: (subject: string) => SessionRecord[]
  put: (record: SessionRecord) => void
  touch: (subject: string, id: string, lastUsedAt: number, expiresAt: number) => boolean
}

/** The session methods of the sketch. */
function sketchSessions({
  now,
  has,
  revoked,
  rkey,
  records,
  listOf,
  put,
  touch,
}: SessionDeps): Partial<TokenStore> {
  const newestFirst = (a: Place, b: Place) =>
    b.createdAt - a.createdAt || (has('page ties by the largest id') ? cmp(b.id, a.id) : cmp(a.id, b.id))
  return {
    saveSession: sketchSave({ now, has, revoked, rkey, records, listOf, put, touch }),
    async touchSession(subject, id, lastUsedAt, expiresAt) {
      await roundTrip()
      return touch(subject, id, lastUsedAt, expiresAt)
    },
    async listSessions(subject, page) {
      await roundTrip()
      const all = (
        has('page returns expired records') && page ? (records.get(subject) ?? []) : listOf(subject)
      ).map((r) => ({ ...r }))
      if (!page) return all
      all.sort(newestFirst)
      const { after, limit } = page
      let start = 0
      if (after && has('page after needs the record')) start = all.findIndex((r) => r.id === after.id) + 1
      else if (after) {
        start = all.findIndex((r) => newestFirst(after, r) < (has('page after is inclusive') ? 1 : 0))
        if (start < 0) start = all.length
      }
      return all.slice(start, has('page ignores limit') ? undefined : start + limit)
    },
    async deleteSession(subject, id) {
      await roundTrip()
      const found = listOf(subject).some((r) => r.id === id)
      records.set(
        subject,
        (records.get(subject) ?? []).filter((r) => r.id !== id),
      )
      return found
    },
    async getSession(subject, id) {
      await roundTrip()
      const pool = has('getSession ignores the subject')
        ? [...records.values()].flat()
        : (records.get(subject) ?? [])
      const r = pool.find(
        (x) => x.id === id && (has('getSession returns expired records') || x.expiresAt * 1000 > now()),
      )
      return r ? { ...r } : null
    },
    async deleteSessions(subject) {
      await roundTrip()
      if (has('deleteSessions forgets every subject')) records.clear()
      else records.delete(subject)
    },
  }
}

/** The sketch's saveSession, with the cap and its flaws. */
function sketchSave({ now, has, revoked, rkey, records, listOf, put }: SessionDeps) {
  const oldestFirst = (a: Place, b: Place) => {
    const at = (p: Place) => (has('cap orders by the second') ? Math.floor(p.createdAt) : p.createdAt)
    return at(a) - at(b) || (has('cap ends ties by the largest id') ? cmp(b.id, a.id) : cmp(a.id, b.id))
  }
  const count = (subject: string) =>
    has('cap counts every subject')
      ? [...records.values()]
          .flat()
          .filter((r) => has('cap counts expired records') || r.expiresAt * 1000 > now()).length
      : (records.get(subject) ?? []).filter(
          (r) => has('cap counts expired records') || r.expiresAt * 1000 > now(),
        ).length
  const end = (r: SessionRecord) => {
    if (!has('cap forgets without revoking'))
      revoked.set(rkey(r.id, has('cap revokes under no subject') ? undefined : r.subject), r.expiresAt * 1000)
    records.set(
      r.subject,
      (records.get(r.subject) ?? []).filter((x) => x.id !== r.id),
    )
  }
  return async (record: SessionRecord, options?: SaveSessionOptions) => {
    if (record.expiresAt * 1000 <= now()) return []
    const cap = options?.maxPerSubject
    const replacing =
      listOf(record.subject).some((r) => r.id === record.id) && !has('cap ends on a replacing save')
    const counted = count(record.subject)
    await roundTrip()
    if (cap === undefined || replacing) {
      put(record)
      return []
    }
    if (has('cap may end the new record')) put(record)
    const n = has('cap counts, then writes') ? counted : count(record.subject)
    const pool = (
      has('cap counts expired records') ? (records.get(record.subject) ?? []) : listOf(record.subject)
    )
      .filter((r) => has('cap may end the new record') || r.id !== record.id)
      .sort(oldestFirst)
    const ended = pool.slice(0, Math.max(0, n + (has('cap may end the new record') ? 0 : 1) - cap))
    for (const r of ended) end(r)
    if (!has('cap may end the new record')) put(record)
    return ended.map((r) => r.id)
  }
}

/** `records` as a page of `listSessions`: newest first (then id ascending), strictly after `after`. */
export function pageOf(records: SessionRecord[], page: SessionPage): SessionRecord[] {
  const newestFirst = (a: Place, b: Place) => b.createdAt - a.createdAt || cmp(a.id, b.id)
  const sorted = [...records].sort(newestFirst)
  const { after, limit } = page
  const start = after ? sorted.findIndex((r) => newestFirst(after, r) < 0) : 0
  return start < 0 ? [] : sorted.slice(start, start + limit)
}

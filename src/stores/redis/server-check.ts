/**
 * redisStore's server check, run once before the first command is answered: a master whose
 * `maxmemory-policy` could evict tokenward's keys is refused (revoked tokens would become valid
 * again) unless `allowEviction` says otherwise; a master that persists nothing earns a warning.
 */
import { isRecord, toText, type WarnOnce } from '../util.js'
import type { Connection, ServerNode } from './client.js'

/** A refused server is checked again at most this often, so fixing it needs no app restart. */
export const RECHECK_REFUSAL_MS = 10_000

/** The server is set up so that tokenward's keys could be evicted: refused until it is fixed. */
export class ServerRefusal extends Error {
  override name = 'ServerRefusal'
}

/** `CONFIG GET name` → the value, or `undefined` when the reply has no such entry. */
export function configValue(reply: unknown, name: string): string | undefined {
  // RESP2 answers a flat [name, value] array; RESP3 a map (node-redis gives an object or a Map).
  if (Array.isArray(reply)) {
    for (let i = 0; i + 1 < reply.length; i += 2) if (toText(reply[i]) === name) return toText(reply[i + 1])
    return undefined
  }
  if (reply instanceof Map) return reply.has(name) ? toText(reply.get(name)) : undefined
  if (isRecord(reply) && name in reply) return toText(reply[name])
  return undefined
}

/** One `field:value` line of an INFO reply. */
export function infoField(reply: unknown, field: string): string | undefined {
  const match = new RegExp(`^${field}:(.*)$`, 'm').exec(toText(reply))
  return match?.[1]?.trim()
}

/** What the server check learns about one master; `undefined` where the server would not say. */
export interface ServerFacts {
  policy: string | undefined
  aof: boolean | undefined
  rdb: boolean | undefined
}

export async function serverFacts(node: ServerNode): Promise<ServerFacts> {
  // Managed Redis (ElastiCache, Memorystore, …) often disables CONFIG; INFO still tells the policy.
  let policy: string | undefined
  let rdb: boolean | undefined
  try {
    policy = configValue(await node.send(['CONFIG', 'GET', 'maxmemory-policy']), 'maxmemory-policy')
    const save = configValue(await node.send(['CONFIG', 'GET', 'save']), 'save')
    if (save !== undefined) rdb = save.trim() !== ''
  } catch {
    // CONFIG refused: INFO below.
  }
  if (policy === undefined) policy = infoField(await node.send(['INFO', 'memory']), 'maxmemory_policy')
  const aof = infoField(await node.send(['INFO', 'persistence']), 'aof_enabled')
  return { policy, rdb, aof: aof === undefined ? undefined : aof === '1' }
}

/** The refusal of a master whose policy may evict (or cannot be read), or `undefined` when it is allowed. */
function evictionRefusal(name: string, policy: string | undefined): ServerRefusal | undefined {
  if (policy === 'noeviction') return undefined
  if (policy === undefined)
    return new ServerRefusal(
      `tokenward: could not read maxmemory-policy from ${name} (neither CONFIG GET nor INFO memory ` +
        'told it), so tokenward cannot rule out that Redis evicts revocations. Make sure the policy ' +
        'is noeviction, then pass redisStore({ allowEviction: true }) to skip this check.',
    )
  return new ServerRefusal(
    `tokenward: ${name} has maxmemory-policy "${policy}": when memory runs short Redis would evict ` +
      'revocations and spent refresh-token marks, and revoked tokens would become valid again, so ' +
      'the token store refuses to work. Fix: `CONFIG SET maxmemory-policy noeviction` (and ' +
      '`maxmemory-policy noeviction` in redis.conf), or accept the risk with ' +
      'redisStore({ allowEviction: true }).',
  )
}

/** Throws when a master could evict tokenward's keys; warns when none persists anything. */
async function checkServer(
  connection: Connection,
  allowEviction: boolean,
  warnOnce: WarnOnce,
): Promise<void> {
  const masters = await connection.masters()
  if (masters.length === 0)
    throw new Error('tokenward: the Redis Cluster client knows no master yet — connect() it first')
  const facts = await Promise.all(masters.map(serverFacts))
  for (let i = 0; i < masters.length; i++) {
    const { policy } = facts[i]!
    const name = masters[i]!.name
    if (!allowEviction) {
      const refusal = evictionRefusal(name, policy)
      if (refusal) throw refusal
    } else if (policy !== undefined && policy !== 'noeviction')
      warnOnce(
        'eviction',
        `tokenward: ${name} has maxmemory-policy "${policy}" and allowEviction is set: when memory ` +
          'runs short Redis may evict revocations, and revoked tokens become valid again. ' +
          'Prefer `CONFIG SET maxmemory-policy noeviction`.',
      )
  }
  const forgetful = masters.filter((_, i) => facts[i]!.aof === false && facts[i]!.rdb === false)
  if (forgetful.length > 0)
    warnOnce(
      'persistence',
      `tokenward: ${forgetful.map((m) => m.name).join(', ')} persists nothing (appendonly no, save ""): ` +
        'a restart forgets every revocation, spent refresh token and "log out everywhere", and revoked ' +
        'tokens become valid again until they expire. Turn on AOF: `CONFIG SET appendonly yes` with ' +
        'appendfsync everysec, and put both in redis.conf.',
    )
}

/**
 * The check of one store. It runs once, before the first command is answered; concurrent first
 * calls share it. A good verdict holds for the life of the store; a refusal is checked again now
 * and then, and any other failure (Redis unreachable) on the next call. With `allowEviction` the
 * check only warns, so a server that will not answer it (INFO disabled) is not asked again.
 */
export class ServerCheck {
  private passed = false
  private pending: Promise<void> | undefined
  private refusal: { error: Error; until: number } | undefined

  constructor(
    private readonly connection: Connection,
    private readonly allowEviction: boolean,
    private readonly warnOnce: WarnOnce,
  ) {}

  /** `undefined` once the check has passed (no promise on the hot path), else the check to wait for. */
  done(): Promise<void> | undefined {
    if (this.passed) return undefined
    if (this.refusal && Date.now() < this.refusal.until) return Promise.reject(this.refusal.error)
    this.pending ??= checkServer(this.connection, this.allowEviction, this.warnOnce).then(
      () => {
        this.passed = true
        this.refusal = undefined
        this.pending = undefined
      },
      (err: unknown) => {
        this.pending = undefined
        if (this.allowEviction) {
          this.passed = true
          return
        }
        if (err instanceof ServerRefusal)
          this.refusal = { error: err, until: Date.now() + RECHECK_REFUSAL_MS }
        throw err
      },
    )
    return this.pending
  }
}

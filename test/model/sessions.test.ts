// The session invariants, checked by the model of sessions.model.ts on two instances sharing one
// store: the memory store (store calls interleaved by fast-check's scheduler), a real Redis and a
// real PostgreSQL (each instance its own client and verdict cache; PostgreSQL: one on a pg Pool,
// one on postgres.js). A short seeded run is part of `npm test`;
// `npm run test:model` runs long (TOKENWARD_MODEL_RUNS, TOKENWARD_MODEL_SEED).
import fc from 'fast-check'
import { createClient } from 'redis'
import { describe, inject, it } from 'vitest'
import { memoryStore, type TokenStore } from '../../src/index.js'
import { redisStore } from '../../src/stores/redis/index.js'
import { Cleanup, clientOf, migrated, schemaName, storeOf } from '../stores/postgres-helpers.js'
import {
  commandArbitraries,
  initialModel,
  instances,
  type Model,
  type Real,
  schedulableStore,
} from './sessions.model.js'

const RUNS = Number(process.env.TOKENWARD_MODEL_RUNS ?? 0)
const SEED = process.env.TOKENWARD_MODEL_SEED ? Number(process.env.TOKENWARD_MODEL_SEED) : 20261206
const long = RUNS > 0
const params = (runs: number): fc.Parameters<unknown> => ({
  numRuns: long ? RUNS : runs,
  seed: long && !process.env.TOKENWARD_MODEL_SEED ? Date.now() : SEED,
  endOnFailure: false,
  verbose: 1,
})
// TOKENWARD_MODEL_COMMANDS=Login,ClientRefresh,… limits the mix; TOKENWARD_MODEL_SKIP=introspection
// leaves a check out (to show one counterexample at a time).
const only = process.env.TOKENWARD_MODEL_COMMANDS?.split(',')
const skip = new Set(process.env.TOKENWARD_MODEL_SKIP?.split(',') ?? [])
const kinds = process.env.TOKENWARD_MODEL_LOGINS?.split(',') as Parameters<typeof commandArbitraries>[0]
const commands = fc.commands(commandArbitraries(kinds, only), {
  maxCommands: long ? 80 : 40,
  size: long ? 'large' : 'medium',
})

describe('session invariants S1–S5 hold under any mix of features (model-based)', () => {
  it('on two instances sharing a memory store', { timeout: long ? 3_600_000 : 120_000 }, async () => {
    await fc.assert(
      fc.asyncProperty(commands, async (cmds) => {
        const clock = { now: Date.UTC(2026, 11, 6, 12) }
        const { store, set } = schedulableStore(memoryStore({ now: () => clock.now }))
        const real: Real = {
          ...instances({ A: store, B: store }, clock),
          clock,
          propagationMs: 0,
          schedule: set,
        }
        await fc.asyncModelRun(() => ({ model: initialModel(clock.now, skip) as Model, real }), cmds)
      }),
      params(30),
    )
  })

  // A store without spendRefresh (a custom store on the kit's minimum): the core composes the
  // spend from hit and consume (core/refresh.ts composedSpend), a path of its own to S1 and S2.
  it('on two instances sharing a store without spendRefresh (the composed spend)', {
    timeout: long ? 3_600_000 : 120_000,
  }, async () => {
    await fc.assert(
      fc.asyncProperty(commands, async (cmds) => {
        const clock = { now: Date.UTC(2026, 11, 6, 12) }
        const inner = memoryStore({ now: () => clock.now })
        const minimal: TokenStore = { ...inner, spendRefresh: undefined, spentGeneration: undefined }
        const { store, set } = schedulableStore(minimal)
        const real: Real = {
          ...instances({ A: store, B: store }, clock),
          clock,
          propagationMs: 0,
          schedule: set,
        }
        // Without spentGeneration a refresh token never introspects active (it cannot be told from
        // a spent one): S1 and S2 are checked by what every refresh answers, not by introspection.
        const model = initialModel(clock.now, new Set([...skip, 'introspection'])) as Model
        await fc.asyncModelRun(() => ({ model, real }), cmds)
      }),
      params(30),
    )
  })

  const url = inject('redisUrl')
  it.skipIf(!url)(
    'on two instances sharing a real Redis (each its own client and verdict cache)',
    {
      timeout: long ? 3_600_000 : 120_000,
    },
    async () => {
      let run = 0
      await fc.assert(
        fc.asyncProperty(commands, async (cmds) => {
          // The model's clock starts at the real one and only moves forward: Redis expires keys by
          // its own clock, never before tokenward's.
          const clock = { now: Date.now() }
          const clients = [createClient({ url: url! }), createClient({ url: url! })]
          await Promise.all(clients.map((c) => c.connect()))
          const prefix = `tw-model-${process.pid}-${run++}:`
          const [a, b] = clients.map((client) => redisStore({ client, prefix }))
          const A = schedulableStore(a!)
          const B = schedulableStore(b!)
          const real: Real = {
            ...instances({ A: A.store, B: B.store }, clock),
            clock,
            propagationMs: 250,
            schedule: (s) => {
              A.set(s)
              B.set(s)
            },
          }
          try {
            await fc.asyncModelRun(() => ({ model: initialModel(clock.now, skip) as Model, real }), cmds)
          } finally {
            await Promise.all([a!.close?.(), b!.close?.()])
            await Promise.all(clients.map((c) => c.quit()))
          }
        }),
        params(8),
      )
    },
  )

  const postgresUrl = inject('postgresUrl')
  it.skipIf(!postgresUrl)(
    'on two instances sharing a real PostgreSQL (one on pg, one on postgres.js; each its own verdict cache)',
    { timeout: long ? 3_600_000 : 120_000 },
    async () => {
      await fc.assert(
        fc.asyncProperty(commands, async (cmds) => {
          const clock = { now: Date.now() }
          const cleanup = new Cleanup()
          // A schema of its own per run: every run starts from an empty store.
          const schema = schemaName('model')
          await migrated(postgresUrl!, schema)
          const now = () => clock.now
          const A = schedulableStore(storeOf(clientOf('pg', postgresUrl!, cleanup), schema, cleanup, { now }))
          const B = schedulableStore(
            storeOf(clientOf('postgres.js', postgresUrl!, cleanup), schema, cleanup, { now }),
          )
          const real: Real = {
            ...instances({ A: A.store, B: B.store }, clock),
            clock,
            propagationMs: 250,
            schedule: (sched) => {
              A.set(sched)
              B.set(sched)
            },
          }
          try {
            await fc.asyncModelRun(() => ({ model: initialModel(clock.now, skip) as Model, real }), cmds)
          } finally {
            await cleanup.run()
          }
        }),
        params(6),
      )
    },
  )
})

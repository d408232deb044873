// memoryStore and redisStore check their options at construction like createAuth (and
// postgresStore): an unknown name is rejected with the closest valid one, a number must be whole
// and in range (a NaN never switches a protection off), a hook must be a function. Nothing here
// talks to a server: construction does no I/O.
import { createClient } from 'redis'
import { describe, expect, it } from 'vitest'
import { memoryStore } from '../../src/index.js'
import { type RedisStoreOptions, redisStore } from '../../src/stores/redis/index.js'

describe('memoryStore options', () => {
  it('rejects an unknown option with the closest valid name', () => {
    expect(() => memoryStore({ maxEntires: 10 } as never)).toThrow(
      'unknown option `maxEntires` in memoryStore — did you mean `maxEntries`?',
    )
    expect(() => memoryStore({ maxProof: 10 } as never)).toThrow('did you mean `maxProofs`?')
    expect(() => memoryStore({ sweepInterval: 1000 } as never)).toThrow('did you mean `sweepIntervalMs`?')
    expect(() => memoryStore({ redis: {} } as never)).toThrow(/unknown option `redis` in memoryStore/)
  })

  it('takes only whole numbers in range, and functions for hooks', () => {
    for (const maxEntries of [Number.NaN, Number.POSITIVE_INFINITY, 1, 2.5, -3])
      expect(() => memoryStore({ maxEntries }), String(maxEntries)).toThrow(
        '`maxEntries` must be a whole number',
      )
    expect(() => memoryStore({ maxEntries: 10, maxCounters: 10 })).toThrow(
      '`maxCounters` must be a whole number from 1 to 9, got 10',
    )
    for (const name of ['maxProofs', 'maxSessions'] as const)
      for (const value of [0, Number.NaN, 1.5])
        expect(() => memoryStore({ [name]: value }), `${name} ${value}`).toThrow(
          `\`${name}\` must be a whole number`,
        )
    for (const sweepIntervalMs of [0, Number.NaN, Number.POSITIVE_INFINITY, 86_400_001])
      expect(() => memoryStore({ sweepIntervalMs })).toThrow(
        '`sweepIntervalMs` must be a whole number from 1',
      )
    expect(() => memoryStore({ now: 5 } as never)).toThrow('`now` must be a function')
    expect(() =>
      memoryStore({ maxEntries: 2, maxCounters: 1, sweepIntervalMs: 1000, now: Date.now }),
    ).not.toThrow()
    expect(() => memoryStore()).not.toThrow()
  })
})

describe('redisStore options', () => {
  // Never connected: construction sends nothing.
  const client = createClient() as RedisStoreOptions['client']
  const make = (options: object) => () => redisStore({ client, ...options } as RedisStoreOptions)

  it('rejects an unknown option with the closest valid name: { timeout: 300 } no longer keeps 500 ms silently', () => {
    expect(make({ timeout: 300 })).toThrow(
      'unknown option `timeout` in redisStore — did you mean `timeoutMs`?',
    )
    expect(make({ prefx: 'app:' })).toThrow('unknown option `prefx` in redisStore — did you mean `prefix`?')
    expect(make({ allowEvictions: true })).toThrow('did you mean `allowEviction`?')
    expect(make({ cache: { maxEntrys: 5 } })).toThrow(
      'unknown option `maxEntrys` in redisStore `cache` — did you mean `maxEntries`?',
    )
  })

  it('takes only whole numbers in range, a string prefix, a boolean allowEviction, functions for hooks', () => {
    for (const timeoutMs of [0, -1, Number.NaN, Number.POSITIVE_INFINITY, 1.5, 600_001])
      expect(make({ timeoutMs }), String(timeoutMs)).toThrow(
        '`timeoutMs` must be a whole number from 1 to 600000',
      )
    expect(make({ prefix: 5 })).toThrow('`prefix` must be a string')
    expect(make({ allowEviction: 'yes' })).toThrow('`allowEviction` of redisStore must be true or false')
    expect(make({ onWarning: 'log' })).toThrow('`onWarning` must be a function')
    expect(make({ now: 0 })).toThrow('`now` must be a function')
    expect(make({ cache: { maxAgeMs: Number.NaN } })).toThrow(
      '`cache.maxAgeMs` must be a whole number from 1',
    )
    expect(make({ cache: [] })).toThrow('redisStore `cache` must be true, false or { maxEntries, maxAgeMs }')
    expect(
      make({ prefix: 'app:', timeoutMs: 300, allowEviction: false, cache: false, now: Date.now }),
    ).not.toThrow()
  })

  it('checks the client before the names: redisStore(client) says to pass it as an option', () => {
    expect(() => redisStore(client as never)).toThrow('pass the Redis client as an option')
  })
})

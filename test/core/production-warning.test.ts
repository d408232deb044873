// With NODE_ENV=production, createAuth warns once (an `warning` event) that memoryStore forgets
// every revocation on restart; a shared store, or another NODE_ENV, gets no such warning.
import { afterEach, describe, expect, it } from 'vitest'
import { type AuthEvent, createAuth, memoryStore, type TokenStore } from '../../src/index.js'
import { SECRET } from '../helpers.js'

const warnings = (store?: TokenStore) => {
  const events: AuthEvent[] = []
  createAuth({ secret: SECRET, ...(store ? { store } : {}), onEvent: (e) => void events.push(e) })
  return events.filter((e) => e.type === 'warning').map((e) => (e as { message: string }).message)
}

describe('memoryStore in production', () => {
  const before = process.env.NODE_ENV
  afterEach(() => {
    process.env.NODE_ENV = before
  })

  it('warns once, at createAuth, that revocations do not survive a restart (the default store and a given one)', () => {
    process.env.NODE_ENV = 'production'
    for (const store of [undefined, memoryStore()]) {
      const said = warnings(store)
      expect(said).toHaveLength(1)
      expect(said[0]).toMatch(/memoryStore.*do not survive a restart/)
    }
  })

  it('says nothing outside production, nor for a store that is not memoryStore', () => {
    process.env.NODE_ENV = 'development'
    expect(warnings()).toEqual([])
    process.env.NODE_ENV = 'production'
    const shared: TokenStore = { ...memoryStore() }
    expect(warnings(shared)).toEqual([])
  })
})

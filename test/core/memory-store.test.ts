import { memoryStore } from '../../src/index.js'
import { runTokenStoreConformance } from '../../src/testing/index.js'

let now = Date.UTC(2026, 0, 1)
runTokenStoreConformance(() => memoryStore({ now: () => now }), {
  name: 'memoryStore conformance',
  now: () => now,
  advanceTime: (ms) => {
    now += ms
  },
})

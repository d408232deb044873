// Runs the conformance kit's checks against the sketch store (kit-sketch.ts) with given flaws, on
// an injected clock; shared by the kit's own tests of its optional sections.
import { conformanceChecks } from '../../src/testing/store-conformance.js'
import { type SketchFlaw, sketchStore } from './kit-sketch.js'

/** Runs every check on a fresh sketch store each; returns the names of those that failed. */
export async function failingChecks(flaws: SketchFlaw[]): Promise<string[]> {
  let t = Date.UTC(2026, 0, 1)
  const now = () => t
  const checks = conformanceChecks({
    now,
    advanceTime: (ms) => {
      t += ms
    },
  })
  const failed: string[] = []
  for (const check of checks) {
    try {
      await check.run(sketchStore(now, new Set(flaws)))
    } catch {
      failed.push(check.name)
    }
  }
  return failed
}

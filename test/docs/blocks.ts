// The code blocks of README.md and docs/*.md, as the two docs tests see them: the type-check
// (code-blocks.test.ts) and the run in a consumer project (run-blocks.test.ts).
//
// Markers, an HTML comment on the line right before the fence (invisible on GitHub):
//   <!-- not-runnable: REASON -->       type-checked, not run (needs a real cluster, a browser …)
//   <!-- docs-check: skip: REASON -->   a fragment: neither type-checked nor run
//   <!-- runs-on: bun|deno|workerd -->  run on that runtime instead of Node (a `Bun.serve`, a
//                                       `Deno.serve`, a Workers `export default { fetch }`);
//                                       Bun and Deno blocks are not type-checked (their globals)
// Every marker but runs-on needs its reason; the run test lists them.
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'

export const root = join(import.meta.dirname, '..', '..')

export interface DocBlock {
  /** `README.md`, `docs/redis.md` … */
  file: string
  /** 1-based among the runnable-language blocks (ts, js) of its file. */
  index: number
  /** 1-based line of the opening fence. */
  line: number
  lang: 'ts' | 'js'
  code: string
  /** Set when marked `docs-check: skip`: the block is neither type-checked nor run. */
  fragment: string | null
  /** Set when marked `not-runnable`: type-checked, not run. */
  notRunnable: string | null
  /** Where the block runs: Node, or the runtime of its `runs-on` marker. */
  runtime: Runtime
}

export const RUNTIMES = ['node', 'bun', 'deno', 'workerd'] as const
export type Runtime = (typeof RUNTIMES)[number]

export function docFiles(): string[] {
  return [
    'README.md',
    ...readdirSync(join(root, 'docs'))
      .filter((f) => f.endsWith('.md'))
      .sort()
      .map((f) => `docs/${f}`),
  ]
}

const LANGS: Record<string, 'ts' | 'js'> = { ts: 'ts', typescript: 'ts', js: 'js', javascript: 'js' }

/** The ts and js blocks of every doc, with their markers. Throws on a marker without a reason. */
export function docBlocks(): DocBlock[] {
  const blocks: DocBlock[] = []
  for (const file of docFiles()) {
    const lines = readFileSync(join(root, file), 'utf8').split('\n')
    let index = 0
    for (let i = 0; i < lines.length; i++) {
      const fence = /^```(\w*)\s*$/.exec(lines[i]!)
      if (!fence) continue
      let end = i + 1
      while (end < lines.length && !lines[end]!.startsWith('```')) end++
      const lang = LANGS[fence[1]!]
      if (lang) {
        const before = lines[i - 1] ?? ''
        const marker = /<!--\s*(not-runnable|docs-check: skip)\s*:?\s*(.*?)\s*-->/.exec(before)
        if (marker && !marker[2]) {
          throw new Error(
            `${file}:${i}: the marker \`${marker[1]}\` needs a reason: <!-- ${marker[1]}: why -->`,
          )
        }
        const runsOn = /<!--\s*runs-on:\s*(\S*)\s*-->/.exec(before)?.[1]
        if (runsOn !== undefined && !RUNTIMES.includes(runsOn as Runtime)) {
          throw new Error(`${file}:${i}: \`runs-on: ${runsOn}\` — the runtimes are ${RUNTIMES.join(', ')}`)
        }
        blocks.push({
          file,
          index: ++index,
          line: i + 1,
          lang,
          code: lines.slice(i + 1, end).join('\n'),
          fragment: marker?.[1] === 'docs-check: skip' ? marker[2]! : null,
          notRunnable: marker?.[1] === 'not-runnable' ? marker[2]! : null,
          runtime: (runsOn as Runtime | undefined) ?? 'node',
        })
      }
      i = end
    }
  }
  return blocks
}

/** `docs/redis.md#3 (line 40)`: how a failure names its block. */
export function blockName(block: DocBlock): string {
  return `${block.file}#${block.index} (line ${block.line})`
}

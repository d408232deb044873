// The house rules of src/: no function longer than 80 lines and no file longer than 400, read with
// the TypeScript compiler (a function's lines run from its first token to its closing brace, nested
// functions included). A failure lists every place over a limit.
import { readdirSync, readFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import ts from 'typescript'
import { describe, expect, it } from 'vitest'

const root = join(import.meta.dirname, '..')
const MAX_FUNCTION_LINES = 80
const MAX_FILE_LINES = 400

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) return sourceFiles(path)
    return entry.name.endsWith('.ts') ? [path] : []
  })
}

const files = sourceFiles(join(root, 'src')).map((path) => relative(root, path).split('\\').join('/'))

/** A name for a function node in a report: its own name, or what it is assigned to. */
function nameOf(node: ts.Node, source: ts.SourceFile): string {
  const named = node as { name?: ts.Node }
  if (named.name) return named.name.getText(source)
  const parent = node.parent
  if (ts.isVariableDeclaration(parent) || ts.isPropertyAssignment(parent)) return parent.name.getText(source)
  return '(anonymous)'
}

function longFunctions(path: string): string[] {
  const text = readFileSync(join(root, path), 'utf8')
  const source = ts.createSourceFile(path, text, ts.ScriptTarget.Latest, true)
  const found: string[] = []
  const visit = (node: ts.Node) => {
    if (ts.isFunctionLike(node) && (node as { body?: ts.Node }).body !== undefined) {
      const start = source.getLineAndCharacterOfPosition(node.getStart(source)).line + 1
      const end = source.getLineAndCharacterOfPosition(node.getEnd()).line + 1
      const lines = end - start + 1
      if (lines > MAX_FUNCTION_LINES)
        found.push(`${path}:${start}-${end} ${nameOf(node, source)} (${lines} lines)`)
    }
    ts.forEachChild(node, visit)
  }
  visit(source)
  return found
}

describe('the house rules of src/', () => {
  it('reads every source file', () => {
    expect(files.length).toBeGreaterThan(50)
  })

  it(`has no function over ${MAX_FUNCTION_LINES} lines`, () => {
    expect(files.flatMap(longFunctions)).toEqual([])
  })

  it(`has no file over ${MAX_FILE_LINES} lines`, () => {
    const long = files.flatMap((path) => {
      const text = readFileSync(join(root, path), 'utf8')
      const lines = text.split('\n').length - (text.endsWith('\n') ? 1 : 0)
      return lines > MAX_FILE_LINES ? [`${path} (${lines} lines)`] : []
    })
    expect(long).toEqual([])
  })
})

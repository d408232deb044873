// `npm start` runs this first: it builds dist/ when it is missing or older than src/, so a fresh
// clone works with `npm ci && npm start` and a second start is instant.
import { execSync } from 'node:child_process'
import { existsSync, readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'

const root = new URL('../../../', import.meta.url).pathname
const newest = (dir) =>
  readdirSync(dir, { withFileTypes: true }).reduce((max, entry) => {
    const path = join(dir, entry.name)
    return Math.max(max, entry.isDirectory() ? newest(path) : statSync(path).mtimeMs)
  }, 0)

const built = join(root, 'dist', 'index.js')
if (!existsSync(built) || statSync(built).mtimeMs < newest(join(root, 'src'))) {
  console.log('building tokenward (dist/) …')
  execSync('npx tsup --silent', { cwd: root, stdio: 'inherit' })
}

// Takes the README's picture of the demo, signed in: docs/demo.png. Not part of `npm test`.
//
//   node docs/examples/demo/screenshot.mjs [out.png]
//
// It builds dist/ when stale (as `npm start` does), starts the demo on a free 127.0.0.1 port, signs
// in as alice from a second browser ("a phone", its own cookies) and then from this one, calls a
// protected route, waits for the devices list (GET /api/sessions: both sessions, "this device"
// and "Sign out this device") and photographs the page down to the end of the session card. The
// attack playground below it has its own picture (docs/demo-playground.png, from
// test/e2e/demo-playground.test.ts with UPDATE_SCREENSHOTS=1).
//
// Needs Chromium: /usr/bin/chromium (Debian's `chromium`), or CHROMIUM_PATH.
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { chromium } from 'playwright-core'

const here = dirname(fileURLToPath(import.meta.url))
const root = join(here, '..', '..', '..')
const out = resolve(process.argv[2] ?? join(root, 'docs', 'demo.png'))
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
// The devices list shows each session's User-Agent: two short ones, and one clock for both.
const PHONE = 'Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) Mobile Safari/604.1'
const LAPTOP = 'Mozilla/5.0 (X11; Linux x86_64) Chrome/140.0 Safari/537.36'
const LOOK = { locale: 'en-US', timezoneId: 'UTC' }

await import('./ensure-build.mjs')

/** Starts server.mjs on a free port; resolves with its URL and a stop function. */
async function startDemo() {
  const env = { ...process.env, PORT: '0', HOST: '127.0.0.1', DEMO_QUIET: '1' }
  delete env.REDIS_URL // the picture shows the default: one process, memoryStore
  const child = spawn(process.execPath, [join(here, 'server.mjs')], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let output = ''
  const url = await new Promise((ok, fail) => {
    const timer = setTimeout(() => fail(new Error(`the demo did not start in 60 s:\n${output}`)), 60_000)
    child.stderr.on('data', (chunk) => {
      output += chunk
    })
    child.stdout.on('data', (chunk) => {
      output += chunk
      const match = /tokenward demo on (http:\/\/127\.0\.0\.1:\d+)/.exec(output)
      if (match) {
        clearTimeout(timer)
        ok(match[1])
      }
    })
    child.once('exit', (code) => {
      clearTimeout(timer)
      fail(new Error(`the demo exited with ${code}:\n${output}`))
    })
  })
  return {
    url,
    async stop() {
      if (child.exitCode !== null) return
      child.kill('SIGTERM')
      await once(child, 'exit')
    },
  }
}

async function signIn(page, url) {
  await page.goto(url)
  await page.fill('#username', 'alice')
  await page.fill('#password', 'alice-password')
  await page.click('#login')
  await page.waitForSelector('#session:not([hidden])')
}

const demo = await startDemo()
const browser = await chromium
  .launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  })
  .catch(async (err) => {
    await demo.stop()
    throw err
  })
try {
  const phone = await (await browser.newContext({ ...LOOK, userAgent: PHONE })).newPage()
  await signIn(phone, demo.url)
  const context = await browser.newContext({
    ...LOOK,
    userAgent: LAPTOP,
    viewport: { width: 1000, height: 1100 },
  })
  const page = await context.newPage()
  await signIn(page, demo.url)
  await page.click('#call-user')
  await page.waitForFunction(() => document.querySelector('#call-status')?.textContent === '200 OK')
  await page.waitForFunction(() => document.querySelectorAll('#devices-list li').length === 2)
  // The countdown shows seconds once its first tick ran.
  await page.waitForFunction(() => /\d/.test(document.querySelector('#timer')?.textContent ?? ''))
  const card = await page.locator('#session').boundingBox()
  if (!card) throw new Error('the session card is not on the page')
  const height = Math.ceil(card.y + card.height + 16)
  await page.setViewportSize({ width: 1000, height })
  await page.screenshot({ path: out, clip: { x: 0, y: 0, width: 1000, height } })
  console.log(`wrote ${out} (1000 × ${height})`)
} finally {
  await browser.close()
  await demo.stop()
}

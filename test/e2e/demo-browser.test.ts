import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { type Browser, chromium, type Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type RunningDemo, startDemo } from './demo-server.js'

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
const haveChromium = existsSync(CHROMIUM)
if (!haveChromium) {
  if (process.env.CI)
    throw new Error(`the browser test needs Chromium at ${CHROMIUM} (.ci/run installs it with apt)`)
  console.warn(
    `\n!!! SKIPPING the demo browser test: no Chromium at ${CHROMIUM} (apt-get install chromium)\n`,
  )
}

// Access tokens live 4 s here; the page renews them at 60 % of their life. clockTolerance is 5 s,
// so waiting 12 s proves the calls succeed because refresh happened, not because of leeway.
const ACCESS_TTL_SECONDS = 4

// `npm test` leaves tracked files alone: the screenshot goes to the git-ignored test-results/. The
// README's docs/demo.png (signed in, with the devices list) is made by docs/examples/demo/screenshot.mjs.
const root = join(import.meta.dirname, '..', '..')
const SCREENSHOT = join(root, 'test-results', 'demo.png')

describe.skipIf(!haveChromium)('demo in a real browser', () => {
  let demo: RunningDemo
  let browser: Browser
  let page: Page

  beforeAll(async () => {
    demo = await startDemo({ env: { DEMO_ACCESS_TTL: `${ACCESS_TTL_SECONDS}s` } })
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
      ],
    })
    page = await (await browser.newContext({ viewport: { width: 1000, height: 1100 } })).newPage()
  }, 60_000)

  afterAll(async () => {
    await browser?.close()
    await demo?.stop()
  })

  it('signs in as a user and shows the profile without exposing tokens to the page', async () => {
    await page.goto(demo.url)
    await page.fill('#username', 'alice')
    await page.fill('#password', 'alice-password')
    await page.click('#login')
    await expect.poll(() => page.textContent('#who')).toBe('Alice (user)')
    const me = await page.textContent('#me')
    expect(me).toContain('u-alice')
    expect(me).not.toContain('passwordHash')
    // HttpOnly: the page's JavaScript sees the CSRF cookie only, never a token.
    const visible = await page.evaluate(() => document.cookie)
    expect(visible).toContain('tw_csrf=')
    expect(visible).not.toContain('tw_access')
    expect(await page.evaluate(() => Object.keys(localStorage).length)).toBe(0)
    await page.screenshot({ path: SCREENSHOT, fullPage: true })
  })

  it('shows 403 on the admin route for a user', async () => {
    await page.click('#call-user')
    await expect.poll(() => page.textContent('#call-status')).toBe('200 OK')
    await page.click('#call-admin')
    await expect.poll(() => page.textContent('#call-status')).toContain('403 insufficient_role')
  })

  it('keeps calls working past the access token life because the page refreshed it', async () => {
    await page.waitForTimeout((ACCESS_TTL_SECONDS + 8) * 1000)
    expect(Number(await page.textContent('#refresh-count'))).toBeGreaterThanOrEqual(2)
    await page.click('#call-user')
    await expect.poll(() => page.textContent('#call-status')).toBe('200 OK')
  }, 30_000)

  it('logs out, after which a protected call fails', async () => {
    await page.click('#logout')
    await expect.poll(() => page.isVisible('#signin')).toBe(true)
    const status = await page.evaluate(async () => (await fetch('/api/user')).status)
    expect(status).toBe(401)
  })

  it('logs out everywhere: a second browser session of the same user is rejected too', async () => {
    const other = await (await browser.newContext()).newPage()
    for (const p of [page, other]) {
      await p.goto(demo.url)
      await p.fill('#username', 'admin')
      await p.fill('#password', 'admin-password')
      await p.click('#login')
      await expect.poll(() => p.textContent('#who')).toBe('Root (admin)')
    }
    await page.click('#call-admin')
    await expect.poll(() => page.textContent('#call-status')).toBe('200 OK')
    await page.click('#logout-everywhere')
    await expect.poll(() => page.isVisible('#signin')).toBe(true)
    const status = await other.evaluate(async () => (await fetch('/api/admin')).status)
    expect(status).toBe(401)
    await other.close()
  }, 30_000)
})

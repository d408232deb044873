import { existsSync, mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { type Browser, chromium, type Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type RunningDemo, startDemo } from './demo-server.js'

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
const haveChromium = existsSync(CHROMIUM)
if (!haveChromium) {
  if (process.env.CI)
    throw new Error(
      `the playground browser test needs Chromium at ${CHROMIUM} (.ci/run installs it with apt)`,
    )
  console.warn(
    `\n!!! SKIPPING the playground browser test: no Chromium at ${CHROMIUM} (apt-get install chromium)\n`,
  )
}

// Screenshots go to the git-ignored test-results/; docs/demo-playground.png is replaced only when
// asked to (UPDATE_SCREENSHOTS=1), so `npm test` leaves tracked files alone.
const root = join(import.meta.dirname, '..', '..')
const RESULTS = join(root, 'test-results')
const PLAYGROUND_SHOT =
  process.env.UPDATE_SCREENSHOTS === '1'
    ? join(root, 'docs', 'demo-playground.png')
    : join(RESULTS, 'demo-playground.png')

/**
 * What each button must show: the attacker's answers, and the audit events (type, or type:code)
 * — starting with `tokens_issued` of the second session the playground opens for the attack.
 */
const EXPECTED: Record<string, { verdict: string; events: string[] }> = {
  'stolen-refresh': {
    verdict: 'Blocked: 401 refresh_token_reused',
    events: ['tokens_issued', 'token_refreshed', 'refresh_reused', 'authentication_failed:token_revoked'],
  },
  tampered: {
    verdict: 'Blocked: 401 token_invalid',
    events: ['tokens_issued', 'authentication_failed:token_invalid'],
  },
  'alg-none': {
    verdict: 'Blocked: 401 token_malformed · 401 token_invalid',
    events: ['tokens_issued', 'authentication_failed:token_malformed', 'authentication_failed:token_invalid'],
  },
  expired: {
    verdict: 'Blocked: 401 token_expired',
    events: ['tokens_issued', 'authentication_failed:token_expired'],
  },
  'wrong-type': {
    verdict: 'Blocked: 401 token_wrong_type',
    events: ['tokens_issued', 'authentication_failed:token_wrong_type'],
  },
  // No second session here: the forged POST rides on this tab's own cookies.
  csrf: { verdict: 'Blocked: 403 csrf_failed', events: ['authentication_failed:csrf_failed'] },
}

describe.skipIf(!haveChromium)('demo attack playground in a real browser', () => {
  let demo: RunningDemo
  let browser: Browser
  let page: Page

  beforeAll(async () => {
    mkdirSync(RESULTS, { recursive: true })
    demo = await startDemo()
    browser = await chromium.launch({
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
    page = await (await browser.newContext({ viewport: { width: 1100, height: 1200 } })).newPage()
    await page.goto(demo.url)
    await page.fill('#username', 'alice')
    await page.fill('#password', 'alice-password')
    await page.click('#login')
    await page.waitForFunction(() => document.getElementById('who')?.textContent === 'Alice (user)')
    await page.waitForSelector('#playground', { state: 'visible' })
  }, 60_000)

  afterAll(async () => {
    await browser?.close()
    await demo?.stop()
  })

  /** Clicks one attack's button and returns its verdict and the events it listed. */
  async function run(id: string) {
    const card = page.locator(`#attack-${id}`)
    await card.locator('button').click()
    await expect.poll(() => card.getAttribute('data-state')).toBe('done')
    const events = await card.locator('ul.events li[data-type]').evaluateAll((items) =>
      items.map((li) => {
        const { type, code } = (li as HTMLElement).dataset
        return code ? `${type}:${code}` : String(type)
      }),
    )
    await card.screenshot({ path: join(RESULTS, `playground-${id}.png`) })
    return { verdict: (await card.locator('.verdict').textContent())?.trim(), events, card }
  }

  it('replays a stolen refresh token: reuse revokes the family, the phone’s new tokens die with it', async () => {
    const { verdict, events, card } = await run('stolen-refresh')
    expect(verdict).toBe(EXPECTED['stolen-refresh']!.verdict)
    expect(events).toEqual(EXPECTED['stolen-refresh']!.events)
    const steps = await card
      .locator('ol.steps li[data-who]')
      .evaluateAll((items) =>
        items.map((li) => `${(li as HTMLElement).dataset.who} ${(li as HTMLElement).dataset.status}`),
      )
    expect(steps).toEqual(['victim 200', 'attacker 401', 'victim 401', 'victim 401'])
    expect(await card.locator('ol.steps li[data-who]').nth(2).textContent()).toContain('token_revoked')
  })

  it.each([['tampered'], ['alg-none'], ['expired'], ['wrong-type'], ['csrf']])(
    '%s: blocked with the expected answer and audit event',
    async (id) => {
      const { verdict, events } = await run(id)
      expect(verdict).toBe(EXPECTED[id]!.verdict)
      expect(events).toEqual(EXPECTED[id]!.events)
    },
  )

  it('shows the requests with tokens shortened, and no token in any audit event', async () => {
    const requests = await page.locator('#playground pre.req').allTextContents()
    expect(requests.length).toBeGreaterThanOrEqual(10)
    for (const text of requests) expect(text).not.toMatch(/eyJ[\w-]{20,}\.[\w-]{20,}/)
    const log = await page.evaluate(async () => {
      const res = await fetch('/api/playground/events')
      return { status: res.status, text: await res.text() }
    })
    expect(log.status).toBe(200)
    expect(log.text).toContain('refresh_reused')
    expect(log.text).not.toMatch(/eyJ/)
    // The audit log is for signed-in users only.
    expect((await fetch(`${demo.url}/api/playground/events`)).status).toBe(401)
  })

  it('left this tab’s own session alone: still signed in, display name unchanged by the forged POST', async () => {
    expect(await page.textContent('#who')).toBe('Alice (user)')
    const me = await page.evaluate(async () => (await fetch('/auth/me')).json())
    expect(me.name).toBe('Alice (user)')
    await page.click('#call-user')
    await expect.poll(() => page.textContent('#call-status')).toBe('200 OK')
  })

  it('lists the signed-in devices, this one marked, and signs another device out', async () => {
    // A second device of the same user: a plain login without cookies.
    const other = await fetch(`${demo.url}/app/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'user-agent': 'Phone/1.0' },
      body: JSON.stringify({ username: 'alice', password: 'alice-password' }),
    })
    expect(other.status).toBe(200)
    const list = () =>
      page.evaluate(
        async () =>
          (await (await fetch('/api/sessions')).json()) as {
            sessions: { id: string; current?: boolean; userAgent: string | null }[]
          },
      )
    const before = await list()
    expect(before.sessions.filter((s) => s.current)).toHaveLength(1)
    const phone = before.sessions.find((s) => s.userAgent === 'Phone/1.0')
    expect(phone).toBeDefined()
    await page.reload()
    await expect.poll(() => page.isVisible('#devices-list')).toBe(true)
    expect(await page.textContent('#devices-list')).toContain('(this device)')
    const signOut = await page.evaluate(async (id) => {
      const csrf = document.cookie.match(/(?:^|; )__Host-tw_csrf=([^;]+)/)?.[1] ?? ''
      return (
        await fetch(`/api/sessions/${id}/sign-out`, {
          method: 'POST',
          headers: { 'x-csrf-token': decodeURIComponent(csrf) },
        })
      ).status
    }, phone!.id)
    expect(signOut).toBe(200)
    expect((await list()).sessions.some((s) => s.id === phone!.id)).toBe(false)
  })

  it('"Run all six" fills every card; the screenshot', async () => {
    await page.click('#run-all')
    await expect.poll(() => page.getAttribute('#playground', 'data-state'), { timeout: 20_000 }).toBe('done')
    for (const id of Object.keys(EXPECTED)) {
      const card = page.locator(`#attack-${id}`)
      expect(await card.getAttribute('data-state')).toBe('done')
      expect((await card.locator('.verdict').textContent())?.trim()).toBe(EXPECTED[id]!.verdict)
    }
    await page.locator('#playground').screenshot({ path: PLAYGROUND_SHOT })
  }, 30_000)
})

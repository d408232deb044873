import { monitorEventLoopDelay } from 'node:perf_hooks'
import { describe, expect, it } from 'vitest'
import { hashPassword, needsRehash, PasswordPolicyError, verifyPassword } from '../../src/password/index.js'

const FAST = { memoryCost: 1024, timeCost: 1 }

describe('tokenward/password', () => {
  it('hashes with argon2id at the OWASP defaults and verifies', async () => {
    const hash = await hashPassword('correct horse battery staple')
    expect(hash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/)
    expect(await verifyPassword(hash, 'correct horse battery staple')).toBe(true)
    expect(await verifyPassword(hash, 'correct horse battery stapler')).toBe(false)
    expect(needsRehash(hash)).toBe(false)
  })

  it('salts every hash', async () => {
    expect(await hashPassword('same', FAST)).not.toBe(await hashPassword('same', FAST))
  })

  it('rejects empty and over-1024-byte passwords with a code', async () => {
    await expect(hashPassword('', FAST)).rejects.toMatchObject({ code: 'password_empty' })
    await expect(hashPassword('€'.repeat(342), FAST)).rejects.toBeInstanceOf(PasswordPolicyError)
    await expect(hashPassword('€'.repeat(342), FAST)).rejects.toMatchObject({ code: 'password_too_long' })
    const ok = await hashPassword('€'.repeat(341), FAST) // 1023 bytes
    expect(await verifyPassword(ok, '€'.repeat(341))).toBe(true)
  })

  it('answers false, never throws, for garbage hashes and oversized passwords', async () => {
    for (const hash of [
      '',
      'abc',
      '$2b$10$abcdefghijklmnopqrstuuJ1Zs0N2e9p9Q4U7o8ZzXcVbNmLkJhG',
      '$argon2id$v=19$m=1024,t=1,p=1$abc',
    ]) {
      expect(await verifyPassword(hash, 'pw')).toBe(false)
    }
    const hash = await hashPassword('pw', FAST)
    expect(await verifyPassword(hash, 'x'.repeat(5000))).toBe(false)
  })

  it('says weaker or foreign hashes need a re-hash', async () => {
    expect(needsRehash(await hashPassword('pw', { memoryCost: 4096, timeCost: 1 }))).toBe(true)
    expect(needsRehash('$2b$10$abcdefghijklmnopqrstuu')).toBe(true)
    expect(needsRehash(await hashPassword('pw', FAST), FAST)).toBe(false)
  })

  it('keeps the event loop turning while 8 hashes run', async () => {
    const delay = monitorEventLoopDelay({ resolution: 5 })
    delay.enable()
    let ticks = 0
    const timer = setInterval(() => ticks++, 5)
    const hashes = await Promise.all(Array.from({ length: 8 }, (_, i) => hashPassword(`pw-${i}`)))
    clearInterval(timer)
    delay.disable()
    expect(ticks).toBeGreaterThan(2)
    for (const [i, hash] of hashes.entries()) expect(await verifyPassword(hash, `pw-${i}`)).toBe(true)
  })
})

import { monitorEventLoopDelay } from 'node:perf_hooks'
import { describe, expect, it } from 'vitest'
import {
  hashPassword,
  needsRehash,
  PasswordHashError,
  PasswordPolicyError,
  verifyPassword,
} from '../../src/password/index.js'

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

  it('answers false, not a throw, for an empty or oversized password (the client input)', async () => {
    const hash = await hashPassword('pw', FAST)
    expect(await verifyPassword(hash, 'x'.repeat(5000))).toBe(false)
    expect(await verifyPassword(hash, '')).toBe(false)
  })

  it('says weaker or foreign hashes need a re-hash', async () => {
    expect(needsRehash(await hashPassword('pw', { memoryCost: 4096, timeCost: 1 }))).toBe(true)
    expect(needsRehash('$2b$10$abcdefghijklmnopqrstuu')).toBe(true)
    expect(needsRehash(await hashPassword('pw', FAST), FAST)).toBe(false)
  })

  it('rejects a malformed stored hash with a PasswordHashError (a TypeError), never false', async () => {
    const malformed = [
      '$argon2id$v=19$m=1024,t=1,p=1$abc', // no hash field
      '$argon2id$v=19$m=1024,t=1,p=1$c2FsdHNhbHRzYWx0$YWFhYWFhYWFhYWFhYWFhYQ==', // padded base64
      '$argon2i$m=1024$c2FsdHNhbHRzYWx0$YWFhYWFhYWFhYWFhYWFhYQ', // missing t and p
      '$argon2d$v=19$m=1024,t=1,p=1$c2Fs$YWFhYWFhYWFhYWFhYWFhYQ', // 3-byte salt (argon2 needs 8)
      '$argon2id$v=18$m=1024,t=1,p=1$c2FsdHNhbHRzYWx0$YWFhYWFhYWFhYWFhYWFhYQ', // no such version
      '$2a$10$abcdefghijklmnopqrstuuJ1Zs0N2e9p9Q4U7o8ZzXcVbNmLkJhG', // 52 characters, not 53
      '$2b$03$4L2y/TtimNIyrBOlWy1IyON6V5sICDMAPcNfY8NMm3UbSYilAdZVW', // cost below 4
      '$2y$04$4L2y/TtimNIyrBOlWy1IyON6V5sICDMAPcNfY8NMm3UbSYilAdZV!', // not bcrypt base64
      '',
    ]
    for (const hash of malformed) {
      const error = await verifyPassword(hash, 'pw').catch((e: unknown) => e)
      expect(error, hash).toBeInstanceOf(PasswordHashError)
      expect(error, hash).toBeInstanceOf(TypeError)
      expect(error, hash).toMatchObject({ code: 'hash_malformed' })
    }
    await expect(verifyPassword(malformed[0]!, 'pw')).rejects.toThrow(/malformed argon2 hash/)
    await expect(verifyPassword(malformed[5]!, 'pw')).rejects.toThrow(/malformed bcrypt hash/)
    await expect(verifyPassword(null as unknown as string, 'pw')).rejects.toMatchObject({
      code: 'hash_malformed',
    })
  })

  it('rejects other schemes and plain text with hash_unsupported, without echoing the stored value', async () => {
    const cases: [string, RegExp][] = [
      [
        '$pbkdf2-sha256$29000$N2bsPQdAqLWWcq7VGiPkvA$Lm8pBs3sSXh1CQnt9lUw.Gmdk5s8bXbwFcV7w9WaQ9M',
        /"\$pbkdf2-sha256\$"/,
      ],
      [
        '$scrypt$ln=16,r=8,p=1$aM15713r3Xsvxbi31lqr1Q$nFNh2CVHVjNldFVKDHDlm4CbdRSCdEBsjjJxD+iCs5E',
        /"\$scrypt\$"/,
      ],
      [
        '$bcrypt-sha256$v=2,t=2b,r=12$n79VH.0Q2TMWmt3Oqt9uku$Kq4Noyk3094Y2QlB8NdRT8SvGiI4ft2',
        /bcrypt-sha256/,
      ],
      ['$2x$04$4L2y/TtimNIyrBOlWy1IyON6V5sICDMAPcNfY8NMm3UbSYilAdZVW', /"\$2x\$"/],
      [
        '$6$rounds=5000$usesomesillystri$D4IrlXatmP7rx3P3InaxBeoomnAihCKRVQP22JZ6EY47Wc6BkroIuUUBOov1i.S5KPgErtP/EN5mcO.ChWQW21',
        /"\$6\$"/,
      ],
      ['hunter2-plain-text', /no "\$scheme\$" prefix/],
    ]
    for (const [hash, message] of cases) {
      const error = await verifyPassword(hash, 'pw').catch((e: unknown) => e)
      expect(error, hash).toBeInstanceOf(PasswordHashError)
      expect(error, hash).toMatchObject({ code: 'hash_unsupported' })
      expect((error as Error).message, hash).toMatch(message)
      expect((error as Error).message, hash).toMatch(/argon2.*bcrypt/)
    }
    const plain = await verifyPassword('hunter2-plain-text', 'pw').catch((e: unknown) => e)
    expect((plain as Error).message).not.toContain('hunter2')
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

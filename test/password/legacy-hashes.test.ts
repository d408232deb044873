// Hashes that users of the seed apps already have (FastAPI + passlib, Python `bcrypt`), checked
// with real hashing. The fixtures were made once and are committed, so no Python runs here:
//   Debian python3-passlib 1.7.4, python3-bcrypt 3.2.2, python3-argon2 (argon2-cffi) 21.1.0
//   CryptContext(schemes=["bcrypt"], deprecated="auto").hash(pw)       the seeds' own code (2b, cost 12)
//   passlib.hash.bcrypt.using(ident=…, rounds=4).hash(pw)             2a / 2b / 2y at cost 4
//   bcrypt.hashpw(pw.encode(), bcrypt.gensalt(rounds=4))              the Velithon seed
//   CryptContext(schemes=["argon2"]).hash(pw)                          passlib's argon2 defaults
//   passlib.hash.argon2.using(type=…, memory_cost=…, rounds=…, parallelism=…).hash(pw)
//   argon2.low_level.hash_secret(…, type=Type.I, version=0x10)         argon2 before version 1.3
import { describe, expect, it } from 'vitest'
import { needsRehash, verifyPassword } from '../../src/password/index.js'

/** [hash, the password it was made from] */
const BCRYPT = {
  passlibContext: [
    '$2b$12$7qPBG7CwTTs.65C2ybzKV.kp77dLAoRDsBDZvsNsQom5y0ezynYmW',
    'correct horse battery staple',
  ],
  '2a': ['$2a$04$4L2y/TtimNIyrBOlWy1IyON6V5sICDMAPcNfY8NMm3UbSYilAdZVW', 'fastapi-password-2a'],
  '2b': ['$2b$04$F834YU2FQBtkCPKKFNQe4OaruJtmz2pbIIxiRHtEyS1KAuS3M9XZC', 'fastapi-password-2b'],
  '2y': ['$2y$04$xwuBUy8WLl2DOXpKz0/oKujHRsaEoV7Rw9U7LLCc7jXqXgWnr70Hy', 'fastapi-password-2y'],
  pyBcrypt: ['$2b$04$IAxCcCvnZECDxzLEM9teBOenUbhB0nJ/.VRjVmPxxLW6AVy53bzLe', 'password123'],
  unicode: ['$2b$04$Y2LegdHGiOAb5dYGX2tPEuhyC2EQ2jqb2jj4CngdeO.YcjtxWZ.sq', 'pässwörd-ünïcode-密码'],
} as const
// 100 UTF-8 bytes; passlib (like bcrypt itself) hashed the first 72 of them.
const BCRYPT_LONG = ['$2b$04$3K8wqTDIkEGel5f0kUk4tuIQTGiy6tkZdxuoK5FTaC.Bs0StQHOj.', 'é'.repeat(50)] as const

const ARGON2 = {
  // passlib's defaults come from argon2-cffi: m=102400,t=2,p=8 (21.1); m=65536,t=3,p=4 (RFC 9106, ≥ 21.2)
  passlibDefault: [
    '$argon2id$v=19$m=102400,t=2,p=8$Y+ydMwZgjPGe09qbc+4dow$QjV5ga475J73MbV4N8KA7w',
    'argon2-default-password',
  ],
  passlibRfc9106: [
    '$argon2id$v=19$m=65536,t=3,p=4$/v8/B2AspRRCSAlhjDFmLA$jtSOMIuXMS7DHg3pcK8JfA',
    'argon2-rfc9106-password',
  ],
  argon2i: ['$argon2i$v=19$m=1024,t=2,p=1$BmDMec/Ze4/ROqf0njNGCA$oHBR9ZRv9qtE2KDFsF9CHA', 'argon2i-password'],
  argon2d: ['$argon2d$v=19$m=1024,t=2,p=1$BeB8T4mRshbCGCMk5HxvTQ$84L0sbvmFFmA/tsOGBmUwA', 'argon2d-password'],
  weakArgon2id: [
    '$argon2id$v=19$m=1024,t=1,p=1$8V7LOaeUUsq5d67VOseYcw$FFii5O3u56GkTqmcGGKvUw',
    'argon2id-weak-password',
  ],
  version16: [
    '$argon2i$v=16$m=1024,t=2,p=1$XxjSstXKSJHcE9SitNJAJQ$1FPXC49SbU/V0Gb6+f8+UQ',
    'argon2-v16-password',
  ],
  // The same hash as argon2 < 1.3 wrote it, with no `v=` field (PHC: absent means 0x10). Made by
  // deleting `v=16$` from the fixture above, not by an old tool.
  noVersion: ['$argon2i$m=1024,t=2,p=1$XxjSstXKSJHcE9SitNJAJQ$1FPXC49SbU/V0Gb6+f8+UQ', 'argon2-v16-password'],
} as const

describe('bcrypt hashes from passlib and Python bcrypt (through @node-rs/bcrypt)', () => {
  it.each(Object.entries(BCRYPT))(
    'verifies the %s fixture, and refuses a wrong password',
    async (_, [hash, pw]) => {
      expect(await verifyPassword(hash, pw)).toBe(true)
      expect(await verifyPassword(hash, `${pw}!`)).toBe(false)
      expect(await verifyPassword(hash, pw.slice(0, -1))).toBe(false)
    },
  )

  it('verifies 2a, 2b and 2y alike (one algorithm, three labels)', async () => {
    for (const id of ['2a', '2b', '2y'] as const) {
      const [hash, pw] = BCRYPT[id]
      expect(hash.startsWith(`$${id}$`)).toBe(true)
      expect(await verifyPassword(hash, pw)).toBe(true)
      expect(await verifyPassword(hash, BCRYPT[id === '2a' ? '2b' : '2a'][1])).toBe(false)
    }
  })

  it('checks a password over 72 bytes the way bcrypt always has: the first 72 bytes count', async () => {
    const [hash, pw] = BCRYPT_LONG
    expect(await verifyPassword(hash, pw)).toBe(true)
    expect(new TextEncoder().encode(pw).length).toBe(100)
    expect(await verifyPassword(hash, `${'é'.repeat(36)}anything after byte 72`)).toBe(true)
    expect(await verifyPassword(hash, 'é'.repeat(35))).toBe(false)
    // The 1024-byte limit still comes first.
    expect(await verifyPassword(hash, 'é'.repeat(600))).toBe(false)
  })

  it('says every bcrypt hash needs a re-hash, whatever its cost', () => {
    for (const [hash] of [...Object.values(BCRYPT), BCRYPT_LONG]) expect(needsRehash(hash)).toBe(true)
    expect(needsRehash('$2b$31$IAxCcCvnZECDxzLEM9teBOenUbhB0nJ/.VRjVmPxxLW6AVy53bzLe')).toBe(true)
  })
})

describe('argon2 hashes from passlib and argon2-cffi (unpadded base64, any variant and version)', () => {
  it.each(Object.entries(ARGON2))(
    'verifies the %s fixture, and refuses a wrong password',
    async (_, [hash, pw]) => {
      expect(await verifyPassword(hash, pw)).toBe(true)
      expect(await verifyPassword(hash, `${pw}!`)).toBe(false)
    },
  )

  it('keeps a passlib argon2id hash at least as strong as the OWASP parameters', () => {
    expect(needsRehash(ARGON2.passlibDefault[0])).toBe(false)
    expect(needsRehash(ARGON2.passlibRfc9106[0])).toBe(false)
    // …unless the application asks for more.
    expect(needsRehash(ARGON2.passlibRfc9106[0], { memoryCost: 131072 })).toBe(true)
    expect(needsRehash(ARGON2.passlibDefault[0], { timeCost: 3 })).toBe(true)
  })

  it('says argon2i, argon2d, version 0x10 and weaker argon2id hashes need a re-hash', () => {
    for (const name of ['argon2i', 'argon2d', 'weakArgon2id', 'version16', 'noVersion'] as const) {
      expect(needsRehash(ARGON2[name][0]), name).toBe(true)
    }
    expect(needsRehash(ARGON2.weakArgon2id[0], { memoryCost: 1024, timeCost: 1, parallelism: 1 })).toBe(false)
  })
})

// Seed 003 (FastAPI + SQLAlchemy): login by e-mail and password against a real SQL table of
// argon2id hashes — PGlite (Postgres compiled to WebAssembly, in process) on Express.
// Run: node docs/examples/003-express-sql/app.mjs
import { pathToFileURL } from 'node:url'
import { PGlite } from '@electric-sql/pglite'
import express from 'express'
import { createAuth } from 'tokenward'
import { authenticate, authRouter } from 'tokenward/express'
import { hashPassword } from 'tokenward/password'

export async function createDatabase() {
  const db = new PGlite()
  await db.exec(`
    create table users (
      id serial primary key,
      email text unique not null,
      full_name text not null,
      password_hash text not null,
      is_active boolean not null default true
    )`)
  for (const [email, name, password] of [
    ['ada@example.com', 'Ada Lovelace', 'ada-password'],
    ['alan@example.com', 'Alan Turing', 'alan-password'],
  ]) {
    await db.query('insert into users (email, full_name, password_hash) values ($1, $2, $3)', [
      email,
      name,
      await hashPassword(password),
    ])
  }
  return db
}

export async function createApp(db) {
  const byEmail = async (email) =>
    (
      await db.query('select id, email, full_name, password_hash, is_active from users where email = $1', [
        email.toLowerCase(),
      ])
    ).rows[0] ?? null
  const auth = createAuth({
    secret: process.env.JWT_SECRET ?? 'seed-003-secret-at-least-32-bytes-long!!',
    resolveUser: async (claims) =>
      (
        await db.query('select id, email, full_name from users where id = $1 and is_active', [
          Number(claims.sub),
        ])
      ).rows[0] ?? null,
  })
  const app = express()
  app.use(
    authRouter(auth, {
      findUser: async (email) => {
        const row = await byEmail(email)
        return row?.is_active ? row : null
      },
      passwordHashOf: (row) => row.password_hash,
      claimsFor: (row) => ({ sub: String(row.id), email: row.email }),
      updatePasswordHash: (row, hash) =>
        db.query('update users set password_hash = $1 where id = $2', [hash, row.id]),
      privateFields: ['password_hash'],
    }),
  )
  app.get('/users/me', authenticate(auth), (req, res) => res.json(req.user))
  return app
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const app = await createApp(await createDatabase())
  const server = app.listen(Number(process.env.PORT || 3000), '127.0.0.1', () =>
    console.log(`seed 003 on http://127.0.0.1:${server.address().port}`),
  )
}

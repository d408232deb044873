// Seed 003 (FastAPI + SQLAlchemy, "JWT Token Authentication"): POST /login with {email, password}
// (schemas.UserLogin) checked against hashed passwords in a SQL table (utils.hash / utils.verify),
// then the diagram's flow — the client asks for a post with its token, the API verifies the token
// first (GET /posts/:id). Users are created with hashed passwords (POST /users); GET / says
// "Welcome Family". PGlite (Postgres compiled to WebAssembly, in process) on Express.
// Run: node docs/examples/003-express-sql/app.mjs   (PORT, JWT_SECRET optional)
import { pathToFileURL } from 'node:url'
import { PGlite } from '@electric-sql/pglite'
import express from 'express'
import { createAuth } from 'tokenward'
import { authenticate, authRouter } from 'tokenward/express'
import { hashPassword } from 'tokenward/password'

/** models.py: users and posts, with two users and their posts. */
export async function createDatabase() {
  const db = new PGlite()
  await db.exec(`
    create table users (
      id serial primary key,
      email text unique not null,
      password text not null,
      is_active boolean not null default true,
      created_at timestamptz not null default now()
    );
    create table posts (
      id serial primary key,
      title text not null,
      content text not null,
      owner_id integer not null references users (id)
    )`)
  for (const [email, password] of [
    ['ada@example.com', 'ada-password'],
    ['alan@example.com', 'alan-password'],
  ]) {
    await db.query('insert into users (email, password) values ($1, $2)', [
      email,
      await hashPassword(password),
    ])
  }
  await db.exec(`insert into posts (title, content, owner_id) values
    ('Notes on the Analytical Engine', 'It might act upon other things besides number.', 1),
    ('Computing Machinery and Intelligence', 'Can machines think?', 2)`)
  return db
}

export async function createApp(db, options = {}) {
  const auth = createAuth({
    secret: process.env.JWT_SECRET ?? 'seed-003-secret-at-least-32-bytes-long!!',
    resolveUser: async (claims) =>
      (
        await db.query('select id, email, created_at from users where id = $1 and is_active', [
          Number(claims.sub),
        ])
      ).rows[0] ?? null,
    ...(options.now ? { now: options.now } : {}),
  })
  const app = express()
  app.use(express.json())

  app.get('/', (_req, res) => res.json('Welcome Family'))

  // user.router: create a user with a hashed password (utils.hash); never echo the hash.
  app.post('/users', async (req, res) => {
    const { email, password } = req.body ?? {}
    if (typeof email !== 'string' || !email.includes('@') || typeof password !== 'string' || password === '')
      return res.status(422).json({ error: 'invalid_request', message: 'email and password are required' })
    // The unique e-mail column decides, also between two concurrent requests.
    const { rows } = await db.query(
      'insert into users (email, password) values ($1, $2) on conflict (email) do nothing returning id, email, created_at',
      [email.toLowerCase(), await hashPassword(password)],
    )
    if (rows.length === 0)
      return res.status(409).json({ error: 'email_taken', message: 'that e-mail is already registered' })
    res.status(201).json(rows[0])
  })
  app.get('/users/:id', async (req, res) => {
    const { rows } = await db.query('select id, email, created_at from users where id = $1', [
      Number(req.params.id) || 0,
    ])
    if (rows.length === 0) return res.status(404).json({ error: 'not_found', message: 'no such user' })
    res.json(rows[0])
  })

  // auth.router: POST /login (no prefix, as in the guide) with {email, password}. The guide answers
  // a wrong e-mail or password with 404 "Invalid Credentials"; tokenward answers 401
  // invalid_credentials (RFC 9110 §15.5.2), after the same work for both cases.
  app.use(
    authRouter(auth, {
      prefix: '/',
      findUser: async (email) =>
        (
          await db.query('select id, email, password from users where email = $1 and is_active', [
            email.toLowerCase(),
          ])
        ).rows[0] ?? null,
      passwordHashOf: (row) => row.password,
      // "Keep the payload light": the user id only.
      claimsFor: (row) => ({ sub: String(row.id) }),
      updatePasswordHash: (row, hash) =>
        db.query('update users set password = $1 where id = $2', [hash, row.id]),
    }),
  )

  // post.router: "the post id along with the token will be sent to the API, the API will first
  // verify the token".
  app.get('/posts/:id', authenticate(auth), async (req, res) => {
    const { rows } = await db.query('select id, title, content, owner_id from posts where id = $1', [
      Number(req.params.id) || 0,
    ])
    if (rows.length === 0) return res.status(404).json({ error: 'not_found', message: 'no such post' })
    res.json(rows[0])
  })
  return app
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const app = await createApp(await createDatabase())
  const server = app.listen(Number(process.env.PORT || 3000), '127.0.0.1', () => {
    console.log(`seed 003 on http://127.0.0.1:${server.address().port}`)
    console.log('  accounts: ada@example.com / ada-password, alan@example.com / alan-password')
  })
}

/**
 * The statements of postgresStore, one per operation, each atomic on its own (PostgreSQL runs a
 * statement, CTEs included, as one transaction): `INSERT … ON CONFLICT` for every write that
 * depends on what is there, `RETURNING` for the answer. Every value is a `$n` parameter with its
 * type cast at first use; every read skips expired rows (`expires_at > now`), so a row the sweep
 * has not reached yet is never an answer. Rows come back as arrays, in the column order given.
 */

/** The revocation check and the writes it reads. */
function checkStatements(s: string) {
  return {
    /**
     * The request-path check, ONE statement: the present revocations among the ids, the subject's
     * cutoff, and a row that says the server is a hot standby (its answers may lag the primary:
     * refused). Rows: [kind 0, id, null, expires_at] | [1, null, at, expires_at] | [2, …].
     * $1 ids, $2 subject (or null), $3 now.
     */
    isRevoked: `SELECT 0, id, NULL::float8, expires_at FROM ${s}.revoked
  WHERE id = ANY ($1::text[]) AND expires_at > $3::float8
UNION ALL SELECT 1, NULL, at, expires_at FROM ${s}.cutoffs
  WHERE subject = $2::text AND expires_at > $3::float8
UNION ALL SELECT 2, NULL, NULL, NULL WHERE pg_is_in_recovery()`,

    /** $1 id, $2 expires_at. Never shortens a revocation; announced by the trigger. */
    revoke: `INSERT INTO ${s}.revoked AS r (id, expires_at) VALUES ($1::text, $2::float8)
ON CONFLICT (id) DO UPDATE SET expires_at = greatest(r.expires_at, EXCLUDED.expires_at)`,

    /** $1 id, $2 expires_at, $3 now. A row back: this call spent it (first, or after the last spend expired). */
    consume: `INSERT INTO ${s}.spent AS t (id, expires_at) VALUES ($1::text, $2::float8)
ON CONFLICT (id) DO UPDATE SET expires_at = EXCLUDED.expires_at WHERE t.expires_at <= $3::float8
RETURNING 1`,

    /** $1 subject, $2 at, $3 expires_at, $4 now. Never moves a live cutoff back, never shortens it. */
    setCutoff: `INSERT INTO ${s}.cutoffs AS c (subject, at, expires_at) VALUES ($1::text, $2::float8, $3::float8)
ON CONFLICT (subject) DO UPDATE SET
  at = CASE WHEN c.expires_at > $4::float8 THEN greatest(c.at, EXCLUDED.at) ELSE EXCLUDED.at END,
  expires_at = greatest(c.expires_at, EXCLUDED.expires_at)`,

    /** $1 subject, $2 now. */
    getCutoff: `SELECT at FROM ${s}.cutoffs WHERE subject = $1::text AND expires_at > $2::float8`,
  }
}

/** Counters, first uses and refresh spends: each an upsert whose row lock orders concurrent calls. */
function spendStatements(s: string) {
  return {
    /**
     * Adds a positive cost: creates the counter with its window, or adds to the live one (an
     * expired one starts afresh). The row lock makes concurrent hits queue: each gets its own count.
     * $1 key, $2 cost, $3 now, $4 window (s).
     */
    hitAdd: `INSERT INTO ${s}.counters AS c (key, count, expires_at) VALUES ($1::text, $2::int, $3::float8 + $4::float8)
ON CONFLICT (key) DO UPDATE SET
  count = CASE WHEN c.expires_at > $3::float8 THEN c.count + EXCLUDED.count ELSE EXCLUDED.count END,
  expires_at = CASE WHEN c.expires_at > $3::float8 THEN c.expires_at ELSE EXCLUDED.expires_at END
RETURNING count`,
    /** Cost 0: reads, creates nothing. $1 key, $2 now. */
    hitRead: `SELECT count FROM ${s}.counters WHERE key = $1::text AND expires_at > $2::float8`,
    /** A negative cost gives back: lowers a live count, never below 0, keeps its window. $1 key, $2 cost, $3 now. */
    hitGiveBack: `UPDATE ${s}.counters SET count = greatest(0, count + $2::int)
WHERE key = $1::text AND expires_at > $3::float8 RETURNING count`,

    /**
     * One refresh presentation, ONE statement: the revocation check (gate), the family's spend
     * state (spend: an upsert whose WHERE lets through only a rotation or a retry — concurrent
     * presentations queue on the row and each sees the one before), and the session touch when the
     * spend went through. Row: [revoked 0|1, retries after this presentation or null (reused)].
     * $1 ids, $2 subject, $3 family, $4 generation, $5 now, $6 issuedAt, $7 expiresAt,
     * $8 graceSeconds, $9 graceRetries, $10 touch lastUsedAt (or null), $11 touch expiresAt.
     */
    spendRefresh: `WITH gate AS (
  SELECT EXISTS (SELECT 1 FROM ${s}.revoked WHERE id = ANY ($1::text[]) AND expires_at > $5::float8)
      OR EXISTS (SELECT 1 FROM ${s}.cutoffs
                 WHERE subject = $2::text AND expires_at > $5::float8 AND at >= $6::float8) AS revoked
), spend AS (
  INSERT INTO ${s}.families AS f (subject, family, generation, first_at, retries, expires_at)
  SELECT $2::text, $3::text, $4::int, $5::float8, 0, $7::float8 FROM gate WHERE NOT gate.revoked
  ON CONFLICT (subject, family) DO UPDATE SET
    generation = EXCLUDED.generation,
    first_at = CASE WHEN f.expires_at <= EXCLUDED.first_at OR EXCLUDED.generation > f.generation
               THEN EXCLUDED.first_at ELSE f.first_at END,
    retries = CASE WHEN f.expires_at <= EXCLUDED.first_at OR EXCLUDED.generation > f.generation
              THEN 0 ELSE f.retries + 1 END,
    expires_at = greatest(f.expires_at, EXCLUDED.expires_at)
  WHERE f.expires_at <= EXCLUDED.first_at OR EXCLUDED.generation > f.generation
     OR (EXCLUDED.generation = f.generation AND abs(EXCLUDED.first_at - f.first_at) < $8::float8
         AND f.retries < $9::int)
  RETURNING f.retries
), touch AS (
  UPDATE ${s}.sessions r SET last_used_at = greatest(r.last_used_at, $10::float8),
    expires_at = greatest(r.expires_at, $11::float8)
  FROM spend WHERE $10::float8 IS NOT NULL AND r.subject = $2::text AND r.id = $3::text
    AND r.expires_at > $5::float8
)
SELECT (SELECT revoked FROM gate)::int, (SELECT retries FROM spend)`,
    /** $1 subject, $2 family, $3 now. */
    spentGeneration: `SELECT generation FROM ${s}.families
WHERE subject = $1::text AND family = $2::text AND expires_at > $3::float8`,
  }
}

/** Session records. */
function sessionStatements(s: string) {
  return {
    /** $1 subject … $7 address, $8 now, $9 cap (or null). Rows: the ended ids. */
    saveSession: `SELECT * FROM ${s}.save_session($1::text, $2::text, $3::float8, $4::float8, $5::float8,
  $6::text, $7::text, $8::float8, $9::int)`,

    /** $1 subject, $2 id, $3 lastUsedAt, $4 expiresAt, $5 now. Only a live record; both values only rise. */
    touchSession: `UPDATE ${s}.sessions SET last_used_at = greatest(last_used_at, $3::float8),
  expires_at = greatest(expires_at, $4::float8)
WHERE subject = $1::text AND id = $2::text AND expires_at > $5::float8 RETURNING 1`,

    /** $1 subject, $2 now. Rows: [id, created_at, last_used_at, expires_at, user_agent, address]. */
    listSessions: `SELECT id, created_at, last_used_at, expires_at, user_agent, address FROM ${s}.sessions
WHERE subject = $1::text AND expires_at > $2::float8`,
    /** A page, newest first: $1 subject, $2 now, $3 limit. */
    firstPage: `SELECT id, created_at, last_used_at, expires_at, user_agent, address FROM ${s}.sessions
WHERE subject = $1::text AND expires_at > $2::float8
ORDER BY created_at DESC, id LIMIT $3::int`,
    /** The page after ($4 createdAt, $5 id): the index range starts at $4, ties are filtered. */
    nextPage: `SELECT id, created_at, last_used_at, expires_at, user_agent, address FROM ${s}.sessions
WHERE subject = $1::text AND expires_at > $2::float8
  AND created_at <= $4::float8 AND (created_at < $4::float8 OR id > $5::text)
ORDER BY created_at DESC, id LIMIT $3::int`,
    /** $1 subject, $2 id, $3 now. */
    getSession: `SELECT id, created_at, last_used_at, expires_at, user_agent, address FROM ${s}.sessions
WHERE subject = $1::text AND id = $2::text AND expires_at > $3::float8`,
    /** $1 subject, $2 id, $3 now. Row: [1 when the deleted record was live]. */
    deleteSession: `DELETE FROM ${s}.sessions WHERE subject = $1::text AND id = $2::text
RETURNING (expires_at > $3::float8)::int`,
    /** $1 subject. */
    deleteSessions: `DELETE FROM ${s}.sessions WHERE subject = $1::text`,
  }
}

/** The statements for schema `s` (already checked: it needs no quoting). */
export function statements(s: string) {
  return {
    ...checkStatements(s),
    ...spendStatements(s),
    ...sessionStatements(s),
    /** The version the database has (null when the table is empty). */
    version: `SELECT max(version) FROM ${s}.schema_version`,
    /** One sweep round: $1 now, $2 batch. Row: [deleted, more 0|1]. */
    sweep: `SELECT deleted, more::int FROM ${s}.sweep($1::float8, $2::int)`,
  }
}

export type Statements = ReturnType<typeof statements>

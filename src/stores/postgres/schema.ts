/**
 * The schema of tokenward/postgres, versioned: `store.migrate()` runs each migration this release
 * knows and the database has not seen, in order, each in one transaction under an advisory lock;
 * `schema_version` records which ran. docs/postgres.md prints the same SQL (for the default schema)
 * for teams that run their own migrations; a test keeps the two equal.
 *
 * Every time is epoch seconds as `double precision` (milliseconds survive as the fraction), so
 * every comparison is one float comparison, and every row carries its own `expires_at`: queries
 * ignore expired rows, and `sweep()` deletes them in small batches.
 */

/** The schema version this release needs; the store refuses to work on an older one. */
export const SCHEMA_VERSION = 1

/** Where the schema name comes from in messages. */
const NAME = /^[a-z_][a-z0-9_]{0,39}$/

/** The schema name, checked: lower-case letters, digits and `_` (so it never needs escaping), ≤ 40. */
export function checkSchemaName(schema: unknown): string {
  if (typeof schema !== 'string' || !NAME.test(schema))
    throw new TypeError(
      `tokenward: postgresStore \`schema\` must be lower-case letters, digits and _ (starting with a letter or _), at most 40 characters, got ${JSON.stringify(schema)}`,
    )
  return schema
}

/** The NOTIFY channel of a schema: every change of a revocation or cutoff is announced on it. */
export const channelOf = (schema: string) => `${schema}_changes`

/** The advisory lock class of tokenward (the two-key lock space, apart from the one-key one). */
export const LOCK_CLASS = 20_261_206

/** Migration 1, the tables: one per kind of entry, each row with its own expiry. */
function tables(s: string): string {
  return `
  -- Revoked token and family ids (revoke, isRevoked).
  CREATE TABLE ${s}.revoked (
    id         text COLLATE "C" PRIMARY KEY,
    expires_at double precision NOT NULL
  );
  CREATE INDEX revoked_expires_at ON ${s}.revoked (expires_at);

  -- Spent one-time ids: refresh tokens, one-time tokens, DPoP proofs (consume).
  CREATE TABLE ${s}.spent (
    id         text COLLATE "C" PRIMARY KEY,
    expires_at double precision NOT NULL
  );
  CREATE INDEX spent_expires_at ON ${s}.spent (expires_at);

  -- "Log out everywhere": tokens of the subject issued at or before \`at\` are revoked.
  CREATE TABLE ${s}.cutoffs (
    subject    text COLLATE "C" PRIMARY KEY,
    at         double precision NOT NULL,
    expires_at double precision NOT NULL
  );
  CREATE INDEX cutoffs_expires_at ON ${s}.cutoffs (expires_at);

  -- Rate-limit counters (hit): the window starts at the first hit.
  CREATE TABLE ${s}.counters (
    key        text COLLATE "C" PRIMARY KEY,
    count      integer NOT NULL,
    expires_at double precision NOT NULL
  );
  CREATE INDEX counters_expires_at ON ${s}.counters (expires_at);

  -- The spend state of each token family (spendRefresh): its highest spent generation, when that
  -- generation was first presented, and how many retries it has had since.
  CREATE TABLE ${s}.families (
    subject    text COLLATE "C" NOT NULL,
    family     text COLLATE "C" NOT NULL,
    generation integer NOT NULL,
    first_at   double precision NOT NULL,
    retries    integer NOT NULL,
    expires_at double precision NOT NULL,
    PRIMARY KEY (subject, family)
  );
  CREATE INDEX families_expires_at ON ${s}.families (expires_at);

  -- Session records (saveSession, listSessions …), kept per subject; newest login first.
  CREATE TABLE ${s}.sessions (
    subject      text COLLATE "C" NOT NULL,
    id           text COLLATE "C" NOT NULL,
    created_at   double precision NOT NULL,
    last_used_at double precision NOT NULL,
    expires_at   double precision NOT NULL,
    user_agent   text,
    address      text,
    PRIMARY KEY (subject, id)
  );
  CREATE INDEX sessions_newest ON ${s}.sessions (subject, created_at DESC, id);
  CREATE INDEX sessions_expires_at ON ${s}.sessions (expires_at);`
}

/**
 * The trigger function of `table`: a change of a row announces `<kind>:<column>` — the old row's
 * (unless inserted, or already expired) and the new one's (unless deleted).
 */
function changedTrigger(s: string, table: string, kind: string, column: string): string {
  return `  CREATE FUNCTION ${s}.${table}_changed() RETURNS trigger LANGUAGE plpgsql AS $fn$
  BEGIN
    IF TG_OP <> 'INSERT' THEN
      IF OLD.expires_at > extract(epoch FROM clock_timestamp()) THEN
        PERFORM ${s}.announce('${kind}', OLD.${column});
      END IF;
    END IF;
    IF TG_OP <> 'DELETE' THEN PERFORM ${s}.announce('${kind}', NEW.${column}); END IF;
    RETURN NULL;
  END $fn$;
`
}

/** Migration 1, the announcements the verdict caches LISTEN to. */
function announcements(s: string): string {
  const channel = channelOf(s)
  return `
  -- Every change of a revocation or a cutoff is announced on the channel ${channel} (the
  -- verdict caches of every instance LISTEN to it): 'r:<id>', 'c:<subject>', or '*' for "drop
  -- everything" (TRUNCATE, or a key too long for a payload). A row deleted after its expiry needs
  -- no announcement: no cache keeps an answer past the row's expiry.
  CREATE FUNCTION ${s}.announce(kind text, key text) RETURNS void LANGUAGE sql AS $fn$
    SELECT pg_notify('${channel}', CASE WHEN octet_length(key) <= 7000 THEN kind || ':' || key ELSE '*' END)
  $fn$;
${changedTrigger(s, 'revoked', 'r', 'id')}${changedTrigger(s, 'cutoffs', 'c', 'subject')}  CREATE FUNCTION ${s}.truncated() RETURNS trigger LANGUAGE plpgsql AS $fn$
  BEGIN
    PERFORM pg_notify('${channel}', '*');
    RETURN NULL;
  END $fn$;
  CREATE TRIGGER announce AFTER INSERT OR UPDATE OR DELETE ON ${s}.revoked
    FOR EACH ROW EXECUTE FUNCTION ${s}.revoked_changed();
  CREATE TRIGGER announce AFTER INSERT OR UPDATE OR DELETE ON ${s}.cutoffs
    FOR EACH ROW EXECUTE FUNCTION ${s}.cutoffs_changed();
  CREATE TRIGGER announce_truncate AFTER TRUNCATE ON ${s}.revoked
    FOR EACH STATEMENT EXECUTE FUNCTION ${s}.truncated();
  CREATE TRIGGER announce_truncate AFTER TRUNCATE ON ${s}.cutoffs
    FOR EACH STATEMENT EXECUTE FUNCTION ${s}.truncated();`
}

/** Migration 1, `save_session`: a capped session save in one transaction. */
function saveSession(s: string): string {
  return `
  -- Saves a session record and, with p_max, ends the subject's oldest live records past the cap
  -- in the same transaction: each one's family is revoked until p_expires, then its record goes.
  -- Saves of one subject are serialised by an advisory lock, and each statement of the function
  -- sees what committed before it (READ COMMITTED), so 50 concurrent saves with p_max 10 leave
  -- exactly 10 records. Returns the ended ids, one row each.
  CREATE FUNCTION ${s}.save_session(
    p_subject text, p_id text, p_created double precision, p_used double precision,
    p_expires double precision, p_agent text, p_address text, p_now double precision, p_max integer
  ) RETURNS SETOF text LANGUAGE plpgsql AS $fn$
  DECLARE
    ended text[];
  BEGIN
    IF p_max IS NOT NULL THEN
      IF current_setting('transaction_isolation') <> 'read committed' THEN
        RAISE EXCEPTION 'tokenward: session saves need READ COMMITTED (PostgreSQL''s default), not %',
          current_setting('transaction_isolation');
      END IF;
      PERFORM pg_advisory_xact_lock(${LOCK_CLASS}, hashtext('${s}:' || p_subject));
    END IF;
    INSERT INTO ${s}.sessions AS r
      (subject, id, created_at, last_used_at, expires_at, user_agent, address)
      VALUES (p_subject, p_id, p_created, p_used, p_expires, p_agent, p_address)
      ON CONFLICT (subject, id) DO UPDATE SET created_at = EXCLUDED.created_at,
        last_used_at = EXCLUDED.last_used_at, expires_at = EXCLUDED.expires_at,
        user_agent = EXCLUDED.user_agent, address = EXCLUDED.address;
    IF p_max IS NULL THEN
      RETURN;
    END IF;
    SELECT coalesce(array_agg(id), '{}') INTO ended FROM (
      SELECT id FROM ${s}.sessions
      WHERE subject = p_subject AND expires_at > p_now AND id <> p_id
      ORDER BY created_at DESC, id DESC
      OFFSET greatest(p_max, 1) - 1
    ) past_cap;
    IF cardinality(ended) > 0 THEN
      INSERT INTO ${s}.revoked AS r (id, expires_at) SELECT unnest(ended), p_expires
        ON CONFLICT (id) DO UPDATE SET expires_at = greatest(r.expires_at, EXCLUDED.expires_at);
      DELETE FROM ${s}.sessions WHERE subject = p_subject AND id = ANY (ended);
    END IF;
    RETURN QUERY SELECT unnest(ended);
  END $fn$;`
}

/** Migration 1, `sweep`: deletes expired rows in small batches. */
function sweep(s: string): string {
  return `
  -- Deletes expired rows: at most p_batch per table, oldest first, skipping rows another
  -- transaction holds. \`deleted\` is the total, \`more\` whether a table had a full batch.
  -- postgresStore calls it every minute (sweepIntervalMs); with sweepIntervalMs: 0, schedule
  -- \`SELECT * FROM ${s}.sweep()\` yourself (pg_cron, a cron job).
  CREATE FUNCTION ${s}.sweep(
    p_now double precision DEFAULT extract(epoch FROM clock_timestamp()), p_batch integer DEFAULT 500
  ) RETURNS TABLE (deleted integer, more boolean) LANGUAGE plpgsql AS $fn$
  DECLARE
    n integer;
    most integer := 0;
    total integer := 0;
    t text;
  BEGIN
    FOREACH t IN ARRAY ARRAY['revoked', 'spent', 'cutoffs', 'counters', 'families', 'sessions'] LOOP
      EXECUTE format(
        'DELETE FROM ${s}.%1$I WHERE ctid = ANY (ARRAY(SELECT ctid FROM ${s}.%1$I WHERE expires_at <= $1 '
        'ORDER BY expires_at LIMIT $2 FOR UPDATE SKIP LOCKED))', t) USING p_now, p_batch;
      GET DIAGNOSTICS n = ROW_COUNT;
      total := total + n;
      most := greatest(most, n);
    END LOOP;
    RETURN QUERY SELECT total, most >= p_batch;
  END $fn$;`
}

/** Migration 1: every table, index, trigger and function of the first release. */
function version1(s: string): string {
  return [tables(s), announcements(s), saveSession(s), sweep(s)].join('\n')
}

/** The migrations of this release, in order: version → its SQL for a schema. */
const MIGRATIONS: readonly { version: number; description: string; sql: (schema: string) => string }[] = [
  {
    version: 1,
    description: 'tokenward 0.x: revocations, spends, cutoffs, counters, families, sessions',
    sql: version1,
  },
]

/**
 * The SQL that creates (or brings up to date) the schema `schema`: one transaction per migration,
 * each under the advisory lock and run only when `schema_version` lacks it. Idempotent; safe to
 * run from several places at once. Plain SQL: `psql -f`, or any migration tool.
 */
export function schemaSql(schema: string): string {
  const s = checkSchemaName(schema)
  const lock = `SELECT pg_advisory_xact_lock(${LOCK_CLASS}, hashtext('${s}'));`
  const head = `CREATE SCHEMA IF NOT EXISTS ${s};
CREATE TABLE IF NOT EXISTS ${s}.schema_version (
  version     integer PRIMARY KEY,
  description text NOT NULL,
  applied_at  timestamptz NOT NULL DEFAULT now()
);`
  return MIGRATIONS.map(
    (m) => `-- tokenward schema "${s}", migration ${m.version}
BEGIN;
${lock}
${head}
DO $migration$ BEGIN
IF NOT EXISTS (SELECT 1 FROM ${s}.schema_version WHERE version = ${m.version}) THEN
${m.sql(s).replace(/^\n/, '').trimEnd()}

  INSERT INTO ${s}.schema_version (version, description) VALUES (${m.version}, '${m.description}');
END IF;
END $migration$;
COMMIT;
`,
  ).join('\n')
}

import { randomUUID } from "node:crypto";
import { positiveInteger, rejectUnknownOptions, type OptionNames } from "../option-checks.js";
import { HOUR_MS } from "../time.js";
import { OperationTimeoutError, withTimeout } from "../timeout.js";
import type { ClaimResult, DedupeStore } from "./store.js";
import type { TrackedJob, TrackingStore } from "./tracking.js";

/**
 * Runs one parameterized SQL statement and resolves with its rows: `(text, values) => pool.query(text, values)`
 * with node-postgres (`pg`); any client that takes `$1`-style parameters works the same way.
 */
export type PostgresQuery = (text: string, values: unknown[]) => Promise<{ rows: Array<Record<string, unknown>> }>;

/** Options of `postgresStore()`. */
export interface PostgresStoreOptions {
  /** Runs a statement through your Postgres client (see {@link PostgresQuery}). Required. */
  query: PostgresQuery;
  /** The table, optionally schema-qualified (`"app.webhook_ids"`). Default `"gemini_webhooks_dedupe"`. */
  table?: string;
  /**
   * Create the table (and its index) on first use when it is missing. Default `true`. With `false`, run
   * {@link postgresStoreSchema}'s SQL yourself (e.g. in a migration) before the first delivery.
   */
  createTable?: boolean;
  /** How long a handled id is remembered, in ms. Default 90 000 000 (25 h): Gemini retries for 24 h. */
  ttlMs?: number;
  /** How long a claim may stay in flight, in ms, before it expires on its own. Default 60 000. */
  inFlightTtlMs?: number;
  /**
   * Longest wait for one statement, in ms. Past it the operation fails, and a failed claim becomes
   * 503 `store_unavailable` (Gemini retries) instead of a request that hangs. Default 2 000.
   */
  queryTimeoutMs?: number;
  /** How often, at most, a claim also deletes expired rows (a bounded batch, in the background), in ms. Default 600 000. */
  sweepIntervalMs?: number;
}

/** Postgres did not answer a statement within `queryTimeoutMs`. Found as `cause` of the `store_unavailable` error. */
export class PostgresQueryTimeoutError extends OperationTimeoutError {
  override readonly name = "PostgresQueryTimeoutError";

  constructor(operation: string, timeoutMs: number) {
    super(`postgresStore: Postgres did not answer ${operation} within ${timeoutMs} ms.`, operation, timeoutMs);
  }
}

/** The Postgres store: a `DedupeStore` whose operations always return promises, plus its maintenance and tracked jobs. */
export interface PostgresDedupeStore extends DedupeStore, TrackingStore {
  claim(id: string): Promise<ClaimResult>;
  complete(id: string): Promise<void>;
  release(id: string): Promise<void>;
  readonly ttlMs: number;
  track(key: string, job: TrackedJob): Promise<void>;
  untrack(key: string): Promise<void>;
  tracked(): Promise<TrackedJob[]>;
  /** Deletes expired rows now (at most `limit`), resolving with how many. Claims also do this now and then. */
  sweep(limit?: number): Promise<number>;
}

const OPTION_NAMES: OptionNames<PostgresStoreOptions> = {
  query: true,
  table: true,
  createTable: true,
  ttlMs: true,
  inFlightTtlMs: true,
  queryTimeoutMs: true,
  sweepIntervalMs: true,
};

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

/** `table` as a quoted SQL identifier, or a TypeError naming the fix. */
function quotedTable(table: string): string {
  const parts = table.split(".");
  if (parts.length > 2 || !parts.every((part) => IDENTIFIER.test(part))) {
    throw new TypeError(
      'postgresStore: option "table" must be a table name of letters, digits and "_" (optionally "schema.table"), ' +
        `got ${JSON.stringify(table)}.`,
    );
  }
  return parts.map((part) => `"${part}"`).join(".");
}

/** The table of tracked jobs (`webhooks.track()`) beside the store's own: `<table>_tracked`, in the same schema. */
function quotedTrackedTable(table: string): string {
  const parts = quotedTable(table).split(".");
  parts[parts.length - 1] = `${parts.at(-1)!.slice(0, -1)}_tracked"`;
  return parts.join(".");
}

/**
 * The SQL that creates the store's tables, for a migration when `createTable: false`. Every row expires:
 * `expires_at` is the claim's end while in flight, the end of the retry window once done. The second table
 * keeps the jobs an app tracks, each until its own `expires_at`.
 */
export function postgresStoreSchema(table = "gemini_webhooks_dedupe"): string {
  const name = quotedTable(table);
  const index = `"${table.split(".").at(-1)}_expires_at"`;
  return (
    `CREATE TABLE IF NOT EXISTS ${name} (\n` +
    `  id text PRIMARY KEY,\n` +
    `  state text NOT NULL CHECK (state IN ('in-flight', 'done')),\n` +
    `  token text,\n` +
    `  expires_at timestamptz NOT NULL\n` +
    `);\n` +
    `CREATE INDEX IF NOT EXISTS ${index} ON ${name} (expires_at);\n` +
    `CREATE TABLE IF NOT EXISTS ${quotedTrackedTable(table)} (\n` +
    `  key text PRIMARY KEY,\n` +
    `  name text NOT NULL,\n` +
    `  expect_by timestamptz,\n` +
    `  expires_at timestamptz NOT NULL\n` +
    `);`
  );
}

/**
 * A `DedupeStore` in a Postgres table, shared by every instance that uses the same database. Works with
 * any client through `query`; holds no connection of its own, so it recovers as soon as the client does.
 *
 * - claim: `INSERT … ON CONFLICT (id) DO UPDATE … WHERE expires_at <= now()` (atomic: a row that expired is
 *   taken over, a live one is left alone and reported as done or in flight)
 * - complete: upsert the row as done until now + `ttlMs`
 * - release: delete the row only if it still holds this claim's token
 * - expired rows: taken over by the next claim of their id, and deleted in bounded batches by `sweep()`,
 *   which a claim starts in the background at most once per `sweepIntervalMs`
 */
export function postgresStore(options: PostgresStoreOptions): PostgresDedupeStore {
  if (options === null || typeof options !== "object") {
    throw new TypeError(
      "postgresStore(options): options must be an object, e.g. { query: (text, values) => pool.query(text, values) }.",
    );
  }
  rejectUnknownOptions(options, OPTION_NAMES, "postgresStore");
  const { query } = options;
  if (typeof query !== "function") {
    throw new TypeError(
      'postgresStore: option "query" is required: (text, values) => pool.query(text, values) with node-postgres.',
    );
  }
  const tableName = options.table ?? "gemini_webhooks_dedupe";
  if (typeof tableName !== "string") throw new TypeError('postgresStore: option "table" must be a string.');
  const table = quotedTable(tableName);
  const createTable = options.createTable ?? true;
  if (typeof createTable !== "boolean") throw new TypeError('postgresStore: option "createTable" must be a boolean.');
  const ttlMs = positiveInteger(options.ttlMs ?? 25 * HOUR_MS, "ttlMs", "postgresStore");
  const inFlightTtlMs = positiveInteger(options.inFlightTtlMs ?? 60_000, "inFlightTtlMs", "postgresStore");
  const queryTimeoutMs = positiveInteger(options.queryTimeoutMs ?? 2_000, "queryTimeoutMs", "postgresStore");
  const sweepIntervalMs = positiveInteger(options.sweepIntervalMs ?? 600_000, "sweepIntervalMs", "postgresStore");

  // The claim's own snapshot cannot see a row another transaction committed after it began, so the
  // current state is read back by the same statement only for rows it could see; see claimOnce.
  const CLAIM_SQL =
    `WITH claimed AS (` +
    `INSERT INTO ${table} AS t (id, state, token, expires_at) ` +
    `VALUES ($1, 'in-flight', $2, now() + $3 * interval '1 millisecond') ` +
    `ON CONFLICT (id) DO UPDATE SET state = 'in-flight', token = EXCLUDED.token, expires_at = EXCLUDED.expires_at ` +
    `WHERE t.expires_at <= now() RETURNING 1) ` +
    `SELECT (SELECT count(*) FROM claimed)::int AS claimed, ` +
    `(SELECT state FROM ${table} WHERE id = $1 AND expires_at > now()) AS current`;
  const COMPLETE_SQL =
    `INSERT INTO ${table} AS t (id, state, token, expires_at) ` +
    `VALUES ($1, 'done', NULL, now() + $2 * interval '1 millisecond') ` +
    `ON CONFLICT (id) DO UPDATE SET state = 'done', token = NULL, expires_at = EXCLUDED.expires_at`;
  const RELEASE_SQL = `DELETE FROM ${table} WHERE id = $1 AND state = 'in-flight' AND token = $2`;
  const SWEEP_SQL =
    `DELETE FROM ${table} WHERE id IN ` +
    `(SELECT id FROM ${table} WHERE expires_at <= now() ORDER BY expires_at LIMIT $1)`;

  const trackedTable = quotedTrackedTable(tableName);
  const TRACK_SQL =
    `INSERT INTO ${trackedTable} (key, name, expect_by, expires_at) ` +
    `VALUES ($1, $2, $3, now() + $4 * interval '1 millisecond') ` +
    `ON CONFLICT (key) DO UPDATE SET name = EXCLUDED.name, expect_by = EXCLUDED.expect_by, expires_at = EXCLUDED.expires_at`;
  const UNTRACK_SQL = `DELETE FROM ${trackedTable} WHERE key = $1`;
  // Expired rows are deleted by the same statement that lists the live ones (one snapshot: disjoint sets).
  const TRACKED_SQL =
    `WITH expired AS (DELETE FROM ${trackedTable} WHERE expires_at <= now()) ` +
    `SELECT name, expect_by FROM ${trackedTable} WHERE expires_at > now() ORDER BY expires_at`;

  // Tokens of the claims this instance holds, until it completes or releases them (bounded by the
  // deliveries in progress: the receiver always follows "claimed" with complete or release).
  const tokens = new Map<string, string>();
  let ready: Promise<void> | undefined;
  let lastSweep = Date.now();

  /** Runs a statement, failing after `queryTimeoutMs`; `pending` lets a caller see a late result. */
  function run(
    operation: string,
    text: string,
    values: unknown[],
  ): { pending: Promise<{ rows: Array<Record<string, unknown>> }>; bounded: Promise<Array<Record<string, unknown>>> } {
    let pending: Promise<{ rows: Array<Record<string, unknown>> }>;
    try {
      pending = Promise.resolve(query(text, values));
    } catch (error) {
      pending = Promise.reject(error);
    }
    const bounded = withTimeout(
      pending.then((result) => result?.rows ?? []),
      queryTimeoutMs,
      () => new PostgresQueryTimeoutError(operation, queryTimeoutMs),
    );
    return { pending, bounded };
  }

  function ensureTable(): Promise<void> {
    if (!createTable) return Promise.resolve();
    // Retried on the next operation if it failed (the database may have been down at start-up).
    // CREATE TABLE IF NOT EXISTS still races when instances start together (both try to create the
    // table's type): one block, one transaction, serialized by an advisory lock on the table's name.
    const create =
      `DO $create$ BEGIN PERFORM pg_advisory_xact_lock(hashtext('${tableName}')); ` +
      `${postgresStoreSchema(tableName)} END $create$`;
    ready ??= run("CREATE TABLE", create, [])
      .bounded.then(() => undefined)
      .catch((error: unknown) => {
        ready = undefined;
        throw error;
      });
    return ready;
  }

  function releaseToken(id: string, token: string): Promise<unknown> {
    return run("release", RELEASE_SQL, [id, token]).bounded;
  }

  async function claimOnce(id: string, token: string): Promise<ClaimResult | undefined> {
    const { pending, bounded } = run("claim", CLAIM_SQL, [id, token, inFlightTtlMs]);
    let rows: Array<Record<string, unknown>>;
    try {
      rows = await bounded;
    } catch (error) {
      // Postgres may still commit the claim after we gave up: undo it then, or the id stays blocked
      // (409 for every retry) until the in-flight TTL runs out.
      if (error instanceof PostgresQueryTimeoutError) {
        pending
          .then(
            (late) => (Number(late?.rows?.[0]?.claimed) > 0 ? releaseToken(id, token) : undefined),
            () => undefined,
          )
          .catch(() => undefined);
      }
      throw error;
    }
    const row = rows[0] ?? {};
    if (Number(row.claimed) > 0) return "claimed";
    if (row.current === "done") return "done";
    if (row.current === "in-flight") return "in-flight";
    // A row committed after this statement's snapshot (a concurrent claim or complete): read it again.
    const [latest] = await run("claim", `SELECT state FROM ${table} WHERE id = $1 AND expires_at > now()`, [id])
      .bounded;
    if (latest?.state === "done") return "done";
    if (latest?.state === "in-flight") return "in-flight";
    return undefined; // released or expired meanwhile
  }

  function maybeSweep(): void {
    const now = Date.now();
    if (now - lastSweep < sweepIntervalMs) return;
    lastSweep = now;
    sweep().catch(() => undefined); // housekeeping: a failure here changes no delivery's answer
  }

  async function sweep(limit = 1_000): Promise<number> {
    positiveInteger(limit, "limit", "postgresStore.sweep");
    await ensureTable();
    const rows = await run("sweep", `${SWEEP_SQL} RETURNING 1`, [limit]).bounded;
    return rows.length;
  }

  return {
    async claim(id) {
      await ensureTable();
      maybeSweep();
      const token = randomUUID();
      // One retry when the row vanished between the claim and the read-back; after that, let the sender retry (409).
      const result = (await claimOnce(id, token)) ?? (await claimOnce(id, token)) ?? "in-flight";
      if (result === "claimed") tokens.set(id, token);
      return result;
    },

    async complete(id) {
      tokens.delete(id);
      await ensureTable();
      // Unconditional on purpose, as in the Redis store: the handlers did succeed, so "done" is the truth
      // even if this claim expired and another instance claimed the id since.
      await run("complete", COMPLETE_SQL, [id, ttlMs]).bounded;
    },

    async release(id) {
      const token = tokens.get(id);
      if (token === undefined) return; // not claimed here: nothing of ours to release
      tokens.delete(id);
      await releaseToken(id, token);
    },

    sweep,

    ttlMs,

    async track(key, job) {
      await ensureTable();
      await run("track", TRACK_SQL, [key, job.name, job.expectBy?.toISOString() ?? null, ttlMs]).bounded;
    },

    async untrack(key) {
      await ensureTable();
      await run("untrack", UNTRACK_SQL, [key]).bounded;
    },

    async tracked() {
      await ensureTable();
      const rows = await run("tracked", TRACKED_SQL, []).bounded;
      return rows.map((row) => {
        const name = String(row.name);
        // node-postgres gives a Date; other clients may give the text.
        return row.expect_by === null || row.expect_by === undefined
          ? { name }
          : { name, expectBy: new Date(row.expect_by as Date | string) };
      });
    },
  };
}

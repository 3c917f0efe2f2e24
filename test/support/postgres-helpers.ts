// Test utilities for Postgres: a real server from DATABASE_URL (the test runner starts a throwaway
// cluster with scripts/services/postgres.mjs), fresh table names, and simulated time for expiries.
import { randomBytes } from "node:crypto";
import pg from "pg";
import type { Service } from "./services.js";

/** A superuser connection string to a throwaway cluster, e.g. postgres://postgres@127.0.0.1:5433/postgres. */
export const DATABASE_URL = process.env.DATABASE_URL;

/** Why Postgres tests are skipped, or false when they run. */
export const SKIP_WITHOUT_POSTGRES: string | false = DATABASE_URL
  ? false
  : "DATABASE_URL is not set, so there is no PostgreSQL to test against. Start a throwaway cluster and set it, e.g. " +
    "`npm test` starts a throwaway cluster itself when PostgreSQL is installed (apt-get install postgresql); or `node scripts/services/postgres.mjs` prints one (DATABASE_URL=postgres://postgres@127.0.0.1:<port>/postgres).";

/** The service a Postgres suite declares with describeNeeding(POSTGRES, …) (test/support/services.ts). */
export const POSTGRES: Service = { name: "PostgreSQL", missing: SKIP_WITHOUT_POSTGRES };

/** A pool on DATABASE_URL (or `url`). Close it with `end()`. */
export function pool(url = DATABASE_URL!, options: pg.PoolConfig = {}): pg.Pool {
  const created = new pg.Pool({ connectionString: url, max: 20, ...options });
  created.on("error", () => {}); // an idle client losing its server must not crash the test process
  return created;
}

/** A table (or pg-boss queue) name no other test uses. */
export function freshName(label = "t"): string {
  return `gwx_${label}_${process.pid}_${randomBytes(4).toString("hex")}`;
}

/** Moves the table's clock forward by `ms`: every row expires `ms` sooner (the store compares with now()). */
export async function advanceTableClock(client: pg.Pool, table: string, ms: number): Promise<void> {
  await client.query(`UPDATE "${table}" SET expires_at = expires_at - $1 * interval '1 millisecond'`, [ms]);
}

// The pg-boss adapter as users run it: from the build in dist/ (see library.ts), loaded only by the pg-boss variants.
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import pg from "pg";
import type * as PgBossEntry from "../src/pg-boss.js";

const entry = new URL("../dist/esm/pg-boss.js", import.meta.url);
if (!existsSync(fileURLToPath(entry)))
  throw new Error("dist/ is missing: run `npm run build` first (npm run bench does).");

export const { pgBossQueue } = (await import(entry.href)) as typeof PgBossEntry;

/**
 * A name of this process's own (a pg-boss schema, queue or table), removed when the bench ends. pg-boss 10 cannot
 * delete a queue that still holds jobs (handled ones included), so each bench process gets a pg-boss schema of
 * its own and drops it whole at the end: a bench run leaves nothing behind.
 */
export function benchPgName(label: string): string {
  // Postgres identifiers (schemas, tables) want no '-'; pg-boss queue names accept '_'.
  return `gemini_webhooks_bench_${label.replaceAll("-", "_")}_${process.pid}`;
}

/** Drops a bench process's own pg-boss schema (after its PgBoss stopped), with every job in it. */
export async function dropBenchSchema(connectionString: string, schema: string): Promise<void> {
  const client = new pg.Client({ connectionString });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS ${pg.escapeIdentifier(schema)} CASCADE`);
  } finally {
    await client.end();
  }
}

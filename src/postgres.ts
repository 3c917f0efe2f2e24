// The `gemini-webhooks-express/postgres` entry: the Postgres dedupe store, kept apart from the root entry
// so that apps without Postgres never load it. It needs no driver of its own: pass your client's query.
export { postgresStore, postgresStoreSchema, PostgresQueryTimeoutError } from "./dedupe/postgres.js";
export type { PostgresDedupeStore, PostgresStoreOptions, PostgresQuery } from "./dedupe/postgres.js";
export type { DedupeStore, ClaimResult } from "./dedupe/store.js";

// The `gemini-webhooks-express/redis` entry: the Redis dedupe store, kept apart from the root entry
// so that apps with one instance never load it.
export { redisStore, RedisCommandTimeoutError } from "./dedupe/redis.js";
export type { RedisDedupeStore, RedisStoreOptions, SendCommand } from "./dedupe/redis.js";
export type { DedupeStore, ClaimResult } from "./dedupe/store.js";

import { Redis, type RedisOptions } from "ioredis";

/**
 * The ioredis clients the adapter gives BullMQ. The web process and the workers need opposite settings:
 *
 * - The producer (web process) must fail fast. `enableOfflineQueue: false` makes a command sent while
 *   Redis is unreachable fail at once instead of waiting in ioredis's queue for a reconnect that may take
 *   minutes; `maxRetriesPerRequest: 0` drops a command whose connection broke instead of resending it.
 *   Either way the receiver answers 503 and Gemini retries. (A hung Redis is bounded by `enqueueTimeoutMs`.)
 * - A worker must wait: BullMQ requires `maxRetriesPerRequest: null` for its blocking connection, and its
 *   commands (move to completed/failed, lock renewals) should survive a short outage.
 *
 * Both reconnect on their own, every ≤ 2 s, so a Redis that comes back is used without a restart. The
 * adapter creates (and so owns, and closes) these clients itself: BullMQ then never has to, and a client
 * whose Redis is gone at shutdown is disconnected at once instead of reconnecting forever.
 */
export type RedisConnection = string | RedisOptions | Redis;

export interface OwnedClient {
  client: Redis;
  /** Whether the adapter made it (and must disconnect it), rather than the user. */
  owned: boolean;
}

const reconnectSoon = (times: number) => Math.min(times * 200, 2_000);

export function producerClient(connection: RedisConnection): OwnedClient {
  // An instance is the user's: used as configured (the README says which settings to give it).
  if (isRedisInstance(connection)) return { client: connection, owned: false };
  return { client: create(connection, { enableOfflineQueue: false, maxRetriesPerRequest: 0 }), owned: true };
}

export function workerClient(connection: RedisConnection): OwnedClient {
  const settings: RedisOptions = { maxRetriesPerRequest: null, enableOfflineQueue: true };
  if (isRedisInstance(connection)) return { client: quiet(connection.duplicate(settings)), owned: true };
  return { client: create(connection, settings), owned: true };
}

function create(connection: string | RedisOptions, settings: RedisOptions): Redis {
  const base: RedisOptions = { retryStrategy: reconnectSoon };
  const client =
    typeof connection === "string"
      ? new Redis(connection, { ...base, ...settings })
      : new Redis({ ...base, ...connection, ...settings });
  return quiet(client);
}

// ioredis prints "Unhandled error event" for every failed reconnect when a client has no 'error'
// listener. The failures reach callers as rejected operations (and workers' 'error' events) instead.
function quiet(client: Redis): Redis {
  client.on("error", () => {});
  return client;
}

/** An ioredis instance (structurally: another copy of ioredis in node_modules fails `instanceof`). */
export function isRedisInstance(value: unknown): value is Redis {
  return typeof (value as Redis | null)?.duplicate === "function" && typeof (value as Redis).disconnect === "function";
}

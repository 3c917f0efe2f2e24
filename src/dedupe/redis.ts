import { randomUUID } from "node:crypto";
import { positiveInteger, rejectUnknownOptions, type OptionNames } from "../option-checks.js";
import { HOUR_MS } from "../time.js";
import { OperationTimeoutError, withTimeout } from "../timeout.js";
import type { ClaimResult, DedupeStore } from "./store.js";
import type { TrackedJob, TrackingStore } from "./tracking.js";

/**
 * Sends one raw Redis command (`"SET", "key", "value", ...`) and resolves with the server's reply.
 * - ioredis: `(...args) => client.call(...args)` (an ioredis `Cluster` works the same way)
 * - node-redis: `(...args) => client.sendCommand(args)`
 */
export type SendCommand = (command: string, ...args: string[]) => Promise<unknown>;

/** Options of `redisStore()`. */
export interface RedisStoreOptions {
  /** Sends a raw command through your Redis client (see {@link SendCommand}). Required. */
  sendCommand: SendCommand;
  /** Put before every `webhook-id` to make the key, so several apps can share one Redis. Default `"gemini-webhooks:"`. */
  prefix?: string;
  /** How long a handled id is remembered, in ms. Default 90 000 000 (25 h): Gemini retries for 24 h. */
  ttlMs?: number;
  /**
   * How long a claim may stay in flight, in ms, before it expires on its own: an instance that crashed
   * mid-delivery must not block the id for a day. Keep it above your slowest handler. Default 60 000.
   */
  inFlightTtlMs?: number;
  /**
   * Longest wait for one Redis reply, in ms. Past it the operation fails, and a failed claim becomes
   * 503 `store_unavailable` (Gemini retries) instead of a request that hangs. Default 2 000.
   */
  commandTimeoutMs?: number;
}

/** Redis did not answer a command within `commandTimeoutMs`. Found as `cause` of the `store_unavailable` error. */
export class RedisCommandTimeoutError extends OperationTimeoutError {
  override readonly name = "RedisCommandTimeoutError";
  /** The command's name (`SET`, `EVAL`...): the same as `operation`. */
  readonly command: string;

  constructor(command: string, timeoutMs: number) {
    super(`redisStore: Redis did not answer ${command} within ${timeoutMs} ms.`, command, timeoutMs);
    this.command = command;
  }
}

/** The Redis store: a `DedupeStore` whose operations always return promises, and that keeps tracked jobs. */
export interface RedisDedupeStore extends DedupeStore, TrackingStore {
  claim(id: string): Promise<ClaimResult>;
  complete(id: string): Promise<void>;
  release(id: string): Promise<void>;
  readonly ttlMs: number;
  track(key: string, job: TrackedJob): Promise<void>;
  untrack(key: string): Promise<void>;
  tracked(): Promise<TrackedJob[]>;
}

/** The value of a handled id's key. Claim tokens are random UUIDs, so never equal to it. */
const DONE = "done";

// Compare-and-delete: a claimer whose claim expired must not delete the claim another instance took since.
const RELEASE_SCRIPT = `if redis.call("GET", KEYS[1]) == ARGV[1] then return redis.call("DEL", KEYS[1]) end return 0`;

// Tracked jobs: a sorted set (key → when it expires, by the server's clock) and a hash (key → the job as JSON), in
// one hash slot (the "{tracked jobs}" tag) so a script can touch both on a cluster. Each script first drops what expired;
// both keys also expire when nothing was tracked for ttlMs, so an app that stops tracking leaves nothing behind.
const NOW_MS = `local t = redis.call("TIME") local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)`;
const DROP_EXPIRED =
  `local expired = redis.call("ZRANGEBYSCORE", KEYS[1], "-inf", now) ` +
  `for _, key in ipairs(expired) do redis.call("ZREM", KEYS[1], key) redis.call("HDEL", KEYS[2], key) end`;
const TRACK_SCRIPT =
  `${NOW_MS} ${DROP_EXPIRED} ` +
  `redis.call("ZADD", KEYS[1], now + tonumber(ARGV[3]), ARGV[1]) redis.call("HSET", KEYS[2], ARGV[1], ARGV[2]) ` +
  `redis.call("PEXPIRE", KEYS[1], ARGV[3]) redis.call("PEXPIRE", KEYS[2], ARGV[3]) return 1`;
const UNTRACK_SCRIPT = `redis.call("ZREM", KEYS[1], ARGV[1]) redis.call("HDEL", KEYS[2], ARGV[1]) return 1`;
const TRACKED_SCRIPT =
  `${NOW_MS} ${DROP_EXPIRED} local jobs = {} ` +
  `for _, key in ipairs(redis.call("ZRANGE", KEYS[1], 0, -1)) do ` +
  `local job = redis.call("HGET", KEYS[2], key) if job then table.insert(jobs, job) end end return jobs`;

const OPTION_NAMES: OptionNames<RedisStoreOptions> = {
  sendCommand: true,
  prefix: true,
  ttlMs: true,
  inFlightTtlMs: true,
  commandTimeoutMs: true,
};

/**
 * A `DedupeStore` in Redis, shared by every instance behind a load balancer, so a retry that lands on
 * another instance is still recognised. Works with any client through `sendCommand`; holds no
 * connection state of its own, so it recovers as soon as the client has reconnected.
 *
 * - claim: `SET key <token> NX PX inFlightTtlMs` (atomic; the token is unique to this claim)
 * - complete: `SET key done PX ttlMs`
 * - release: delete the key only if it still holds this claim's token (Lua, atomic)
 */
export function redisStore(options: RedisStoreOptions): RedisDedupeStore {
  if (options === null || typeof options !== "object") {
    throw new TypeError(
      "redisStore(options): options must be an object, e.g. { sendCommand: (...args) => redis.call(...args) }.",
    );
  }
  rejectUnknownOptions(options, OPTION_NAMES, "redisStore");
  const { sendCommand } = options;
  if (typeof sendCommand !== "function") {
    throw new TypeError(
      'redisStore: option "sendCommand" is required: (...args) => client.call(...args) for ioredis, ' +
        "(...args) => client.sendCommand(args) for node-redis.",
    );
  }
  const prefix = options.prefix ?? "gemini-webhooks:";
  if (typeof prefix !== "string") throw new TypeError('redisStore: option "prefix" must be a string.');
  const ttlMs = positiveInteger(options.ttlMs ?? 25 * HOUR_MS, "ttlMs", "redisStore");
  const inFlightTtlMs = positiveInteger(options.inFlightTtlMs ?? 60_000, "inFlightTtlMs", "redisStore");
  const commandTimeoutMs = positiveInteger(options.commandTimeoutMs ?? 2_000, "commandTimeoutMs", "redisStore");
  const ttl = String(ttlMs);
  const inFlightTtl = String(inFlightTtlMs);

  // The token of each claim this instance holds, until it completes or releases it. Bounded by the
  // deliveries in progress: the receiver always follows a "claimed" with complete or release.
  const tokens = new Map<string, string>();
  // With a space, which no webhook-id has (and a completion key starts "completion:"): never a delivery's key.
  const trackedKeys: [string, string] = [`${prefix}{tracked jobs}`, `${prefix}{tracked jobs} by key`];

  /** Sends a command, failing after `commandTimeoutMs`; `pending` lets a caller see the late reply. */
  function send(args: [string, ...string[]]): { pending: Promise<unknown>; bounded: Promise<unknown> } {
    let pending: Promise<unknown>;
    try {
      pending = Promise.resolve(sendCommand(...args));
    } catch (error) {
      pending = Promise.reject(error);
    }
    const bounded = withTimeout(
      pending,
      commandTimeoutMs,
      () => new RedisCommandTimeoutError(args[0], commandTimeoutMs),
    );
    return { pending, bounded };
  }

  function releaseToken(key: string, token: string): Promise<unknown> {
    return send(["EVAL", RELEASE_SCRIPT, "1", key, token]).bounded;
  }

  async function claimOnce(key: string, token: string): Promise<ClaimResult | undefined> {
    const { pending, bounded } = send(["SET", key, token, "NX", "PX", inFlightTtl]);
    let reply: unknown;
    try {
      reply = await bounded;
    } catch (error) {
      // Redis may still apply the SET after we gave up: undo it then, or the id stays blocked
      // (409 for every retry) until the in-flight TTL runs out.
      if (error instanceof RedisCommandTimeoutError) {
        pending
          .then(
            (late) => (text(late) === "OK" ? releaseToken(key, token) : undefined),
            () => undefined,
          )
          .catch(() => undefined);
      }
      throw error;
    }
    if (text(reply) === "OK") return "claimed";
    const current = text(await send(["GET", key]).bounded);
    if (current === DONE) return "done";
    if (current !== null) return "in-flight";
    return undefined; // released or expired between SET and GET
  }

  return {
    async claim(id: string): Promise<ClaimResult> {
      const key = prefix + id;
      const token = randomUUID();
      // One retry when the key vanished between SET NX and GET; after that, let the sender retry (409).
      const result = (await claimOnce(key, token)) ?? (await claimOnce(key, token)) ?? "in-flight";
      if (result === "claimed") tokens.set(id, token);
      return result;
    },

    async complete(id: string): Promise<void> {
      tokens.delete(id);
      // Unconditional on purpose: the handlers did succeed. Even if this claim expired and another
      // instance claimed the id since, "done" is the truth, and it keeps a later failure of that
      // other attempt from releasing the id into yet another run.
      await send(["SET", prefix + id, DONE, "PX", ttl]).bounded;
    },

    async release(id: string): Promise<void> {
      const token = tokens.get(id);
      if (token === undefined) return; // not claimed here: nothing of ours to release
      tokens.delete(id);
      await releaseToken(prefix + id, token);
    },

    ttlMs,

    async track(key: string, job: TrackedJob): Promise<void> {
      const value = JSON.stringify({ name: job.name, expectBy: job.expectBy?.getTime() });
      await send(["EVAL", TRACK_SCRIPT, "2", ...trackedKeys, key, value, ttl]).bounded;
    },

    async untrack(key: string): Promise<void> {
      await send(["EVAL", UNTRACK_SCRIPT, "2", ...trackedKeys, key]).bounded;
    },

    async tracked(): Promise<TrackedJob[]> {
      const reply = await send(["EVAL", TRACKED_SCRIPT, "2", ...trackedKeys]).bounded;
      return (Array.isArray(reply) ? reply : []).map((entry) => {
        const { name, expectBy } = JSON.parse(text(entry)!) as { name: string; expectBy?: number };
        return expectBy === undefined ? { name } : { name, expectBy: new Date(expectBy) };
      });
    },
  };
}

/** A reply as text: clients return strings, Buffers (binary mode) or null. */
function text(reply: unknown): string | null {
  if (reply === null || reply === undefined) return null;
  if (typeof reply === "string") return reply;
  if (reply instanceof Uint8Array) return Buffer.from(reply).toString("utf8");
  return String(reply);
}

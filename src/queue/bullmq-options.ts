import type { BackoffOptions } from "bullmq";
import type { RedisOptions } from "ioredis";
import { isRedisInstance, type RedisConnection } from "./connections.js";
import { logConnectionChange, type ConnectionChangeListener } from "./redis-reachability.js";
import { rejectUnknownOptions, type OptionNames } from "../option-checks.js";
import { HOUR_MS } from "../time.js";

/** Options of `bullmqQueue()`. */
export interface BullmqQueueOptions {
  /**
   * Where Redis is: ioredis options (`{ host, port, password, tls, … }`), a `redis://` URL, or an ioredis
   * instance. With options or a URL the adapter opens its own connections, each configured for its job
   * (see README "Long-running work"); with an instance, the web process uses it as it is and workers use
   * `instance.duplicate()` with `maxRetriesPerRequest: null`, as BullMQ requires.
   */
  connection: RedisConnection;
  /** The BullMQ queue name. Default `"gemini-webhooks"`. */
  name?: string;
  /** BullMQ's key prefix. Default BullMQ's own, `"bull"`. */
  prefix?: string;
  /** How many times a handler is run before the delivery is left in the failed set. Default 8. */
  attempts?: number;
  /** Wait between attempts: BullMQ backoff options, or a fixed delay in ms. Default `{ type: "exponential", delay: 5000 }`. */
  backoff?: BackoffOptions | number;
  /**
   * How long a handled delivery's job is kept, in ms: while it exists, a copy with the same `webhook-id`
   * adds no job. At least 25 h (Gemini retries for 24 h), which is the default.
   */
  keepCompletedMs?: number;
  /** How long a delivery whose attempts are exhausted stays in the failed set, in ms. Default 14 days. */
  keepFailedMs?: number;
  /**
   * Longest wait for Redis to acknowledge a job, in ms. Past it, `enqueue` rejects and the receiver answers
   * `503 queue_unavailable` (Gemini retries). Default 3000.
   */
  enqueueTimeoutMs?: number;
  /**
   * Told whether the web process's Redis is reachable: when the first delivery opens the connection, and at
   * every change after (lost, back). Default: one console line each time (`console.info` / `console.warn`);
   * pass your logger's function instead, or `() => {}` for silence. A throw or rejection is ignored.
   */
  onConnectionChange?: ConnectionChangeListener;
}

/** The options with every default filled in, checked. */
export interface ResolvedBullmqOptions {
  connection: RedisConnection;
  name: string;
  prefix?: string;
  attempts: number;
  backoff: BackoffOptions | number;
  keepCompletedMs: number;
  keepFailedMs: number;
  enqueueTimeoutMs: number;
  onConnectionChange: ConnectionChangeListener;
}

export const MIN_KEEP_COMPLETED_MS = 25 * HOUR_MS;

const OPTION_NAMES: OptionNames<BullmqQueueOptions> = {
  connection: true,
  name: true,
  prefix: true,
  attempts: true,
  backoff: true,
  keepCompletedMs: true,
  keepFailedMs: true,
  enqueueTimeoutMs: true,
  onConnectionChange: true,
};

export function resolveBullmqOptions(options: BullmqQueueOptions): ResolvedBullmqOptions {
  if (options === null || typeof options !== "object") {
    throw new TypeError(
      'bullmqQueue(options): options must be an object, e.g. { connection: { host: "127.0.0.1", port: 6379 } }.',
    );
  }
  rejectUnknownOptions(options, OPTION_NAMES, "bullmqQueue");
  const { connection } = options;
  if (connection === null || (typeof connection !== "object" && typeof connection !== "string") || connection === "") {
    throw new TypeError(
      'bullmqQueue: option "connection" is required: ioredis options ({ host, port, … }), a redis:// URL, or an ioredis instance.',
    );
  }
  const keyPrefix = isRedisInstance(connection)
    ? connection.options.keyPrefix
    : typeof connection === "object"
      ? (connection as RedisOptions).keyPrefix
      : undefined;
  if (keyPrefix) {
    throw new TypeError(
      'bullmqQueue: connection.keyPrefix is not supported by BullMQ; use the "prefix" option instead.',
    );
  }
  const name = options.name ?? "gemini-webhooks";
  if (typeof name !== "string" || name === "" || name.includes(":")) {
    throw new TypeError('bullmqQueue: option "name" must be a non-empty string without ":".');
  }
  if (options.prefix !== undefined && (typeof options.prefix !== "string" || options.prefix === "")) {
    throw new TypeError('bullmqQueue: option "prefix" must be a non-empty string.');
  }
  const attempts = options.attempts ?? 8;
  if (!Number.isSafeInteger(attempts) || attempts < 1) {
    throw new TypeError(`bullmqQueue: option "attempts" must be a positive integer, got ${String(attempts)}.`);
  }
  const backoff = options.backoff ?? { type: "exponential", delay: 5_000 };
  if (typeof backoff === "number") wholeMs(backoff, "backoff", 0);
  else if (backoff === null || typeof backoff !== "object" || typeof backoff.type !== "string") {
    throw new TypeError(
      'bullmqQueue: option "backoff" must be a delay in ms or BullMQ backoff options, e.g. { type: "exponential", delay: 5000 }.',
    );
  }
  const keepCompletedMs = wholeMs(options.keepCompletedMs ?? MIN_KEEP_COMPLETED_MS, "keepCompletedMs", 1);
  if (keepCompletedMs < MIN_KEEP_COMPLETED_MS) {
    throw new TypeError(
      `bullmqQueue: option "keepCompletedMs" must be at least ${MIN_KEEP_COMPLETED_MS} (25 h): a handled delivery's job ` +
        "must outlive Gemini's 24-hour retry window, or a late retry would run the handlers again.",
    );
  }
  const keepFailedMs = wholeMs(options.keepFailedMs ?? 14 * 24 * HOUR_MS, "keepFailedMs", 1);
  const enqueueTimeoutMs = wholeMs(options.enqueueTimeoutMs ?? 3_000, "enqueueTimeoutMs", 1);
  const onConnectionChange = options.onConnectionChange ?? logConnectionChange;
  if (typeof onConnectionChange !== "function") {
    throw new TypeError(
      'bullmqQueue: option "onConnectionChange" must be a function, e.g. (report) => log(report.message).',
    );
  }
  return {
    connection,
    name,
    prefix: options.prefix,
    attempts,
    backoff,
    keepCompletedMs,
    keepFailedMs,
    enqueueTimeoutMs,
    onConnectionChange,
  };
}

function wholeMs(value: number, name: string, min: number): number {
  if (!Number.isSafeInteger(value) || value < min) {
    throw new TypeError(`bullmqQueue: option "${name}" must be a whole number of ms ≥ ${min}, got ${String(value)}.`);
  }
  return value;
}

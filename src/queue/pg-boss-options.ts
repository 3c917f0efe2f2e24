import type PgBoss from "pg-boss";
import { rejectUnknownOptions, type OptionNames } from "../option-checks.js";
import { HOUR_MS } from "../time.js";

/** Options of `pgBossQueue()`: where Postgres is (`connectionString` or `boss`), and how jobs behave. */
export interface PgBossQueueOptions {
  /** A `postgres://` URL: the adapter makes, starts and stops its own `PgBoss`. One of this or `boss` is required. */
  connectionString?: string;
  /**
   * Your own `PgBoss` instance (started, or the adapter starts it). Give it `archiveCompletedAfterSeconds`
   * ≥ 90 000 (25 h); the adapter also looks in pg-boss's archive before adding a job, so a late retry of a
   * delivery whose job was archived early still adds nothing.
   */
  boss?: PgBoss;
  /** The pg-boss schema of the PgBoss the adapter makes (only with `connectionString`). Default pg-boss's own, `"pgboss"`. */
  schema?: string;
  /** The pg-boss queue name. Default `"gemini-webhooks"`. */
  name?: string;
  /** How many times a handler is run before the delivery is left failed. Default 8. */
  attempts?: number;
  /**
   * Wait between attempts: `{ type: "exponential" | "fixed", delay: ms }` or a fixed delay in ms. pg-boss counts
   * whole seconds, so the delay is rounded up to one. Default `{ type: "exponential", delay: 5000 }`.
   */
  backoff?: { type: "exponential" | "fixed"; delay: number } | number;
  /**
   * How long one attempt may run, in seconds, before pg-boss counts it as failed and runs it again (in any
   * worker): the recovery from a worker that crashed mid-handler. Keep it above your slowest handler. Default 900.
   */
  expireInSeconds?: number;
  /** How long a queued job may wait for a worker before pg-boss gives up on it, in ms. Default 14 days. */
  retentionMs?: number;
  /**
   * How long a handled delivery's job stays where `send` sees it, in ms (pg-boss's `archiveCompletedAfterSeconds`,
   * only with `connectionString`). At least 25 h (Gemini retries for 24 h), which is the default.
   */
  keepCompletedMs?: number;
  /** How long a delivery whose attempts ran out stays listed by `failed()`, in ms. Default 14 days. */
  keepFailedMs?: number;
  /** How often pg-boss's maintenance finds expired attempts, in seconds (only with `connectionString`). Default 60. */
  maintenanceIntervalSeconds?: number;
  /**
   * Longest wait for Postgres to commit a job, in ms. Past it, `enqueue` rejects and the receiver answers
   * `503 queue_unavailable` (Gemini retries). Default 3000.
   */
  enqueueTimeoutMs?: number;
}

export interface ResolvedPgBossOptions {
  connectionString?: string;
  boss?: PgBoss;
  schema?: string;
  name: string;
  attempts: number;
  retryDelaySeconds: number;
  retryBackoff: boolean;
  expireInSeconds: number;
  retentionSeconds: number;
  keepCompletedSeconds: number;
  keepFailedSeconds: number;
  maintenanceIntervalSeconds: number;
  enqueueTimeoutMs: number;
}

export const MIN_KEEP_COMPLETED_MS = 25 * HOUR_MS;

const OPTION_NAMES: OptionNames<PgBossQueueOptions> = {
  connectionString: true,
  boss: true,
  schema: true,
  name: true,
  attempts: true,
  backoff: true,
  expireInSeconds: true,
  retentionMs: true,
  keepCompletedMs: true,
  keepFailedMs: true,
  maintenanceIntervalSeconds: true,
  enqueueTimeoutMs: true,
};

export function resolvePgBossOptions(options: PgBossQueueOptions): ResolvedPgBossOptions {
  if (options === null || typeof options !== "object") {
    throw new TypeError(
      "pgBossQueue(options): options must be an object, e.g. { connectionString: process.env.DATABASE_URL }.",
    );
  }
  rejectUnknownOptions(options, OPTION_NAMES, "pgBossQueue");
  const { connectionString, boss } = options;
  const hasUrl = typeof connectionString === "string" && connectionString !== "";
  const hasBoss = boss !== undefined && boss !== null && typeof boss === "object" && typeof boss.send === "function";
  if (hasUrl === hasBoss) {
    throw new TypeError(
      'pgBossQueue: give exactly one of "connectionString" (a postgres:// URL, e.g. process.env.DATABASE_URL) ' +
        'or "boss" (your PgBoss instance).',
    );
  }
  if (hasBoss) {
    for (const ownOnly of ["keepCompletedMs", "keepFailedMs", "maintenanceIntervalSeconds"] as const) {
      if (options[ownOnly] !== undefined) {
        throw new TypeError(
          `pgBossQueue: option "${ownOnly}" configures the PgBoss the adapter makes; with "boss", set it on your PgBoss.`,
        );
      }
    }
  }
  if (
    options.schema !== undefined &&
    (typeof options.schema !== "string" || !/^[a-z_][a-z0-9_]*$/.test(options.schema))
  ) {
    throw new TypeError('pgBossQueue: option "schema" must be a lower-case SQL name (letters, digits, "_").');
  }
  const name = options.name ?? "gemini-webhooks";
  if (typeof name !== "string" || !/^[\w.\-/]+$/.test(name)) {
    throw new TypeError(
      'pgBossQueue: option "name" must be a non-empty string of letters, digits, "_", "-", "." or "/".',
    );
  }
  const attempts = whole(options.attempts ?? 8, "attempts", 1);
  const backoff = options.backoff ?? { type: "exponential", delay: 5_000 };
  let delayMs: number;
  let retryBackoff: boolean;
  if (typeof backoff === "number") {
    delayMs = whole(backoff, "backoff", 0);
    retryBackoff = false;
  } else if (
    backoff !== null &&
    typeof backoff === "object" &&
    (backoff.type === "exponential" || backoff.type === "fixed")
  ) {
    delayMs = whole(backoff.delay, "backoff.delay", 0);
    retryBackoff = backoff.type === "exponential";
  } else {
    throw new TypeError(
      'pgBossQueue: option "backoff" must be a delay in ms or { type: "exponential" | "fixed", delay: ms }.',
    );
  }
  const keepCompletedMs = whole(options.keepCompletedMs ?? MIN_KEEP_COMPLETED_MS, "keepCompletedMs", 1);
  if (keepCompletedMs < MIN_KEEP_COMPLETED_MS) {
    throw new TypeError(
      `pgBossQueue: option "keepCompletedMs" must be at least ${MIN_KEEP_COMPLETED_MS} (25 h): a handled delivery's job ` +
        "must outlive Gemini's 24-hour retry window, or a late retry would run the handlers again.",
    );
  }
  return {
    connectionString: hasUrl ? connectionString : undefined,
    boss: hasBoss ? boss : undefined,
    schema: options.schema,
    name,
    attempts,
    retryDelaySeconds: Math.ceil(delayMs / 1000),
    retryBackoff,
    expireInSeconds: whole(options.expireInSeconds ?? 900, "expireInSeconds", 1),
    retentionSeconds: Math.ceil(whole(options.retentionMs ?? 14 * 24 * HOUR_MS, "retentionMs", 1000) / 1000),
    keepCompletedSeconds: Math.ceil(keepCompletedMs / 1000),
    keepFailedSeconds: Math.ceil(whole(options.keepFailedMs ?? 14 * 24 * HOUR_MS, "keepFailedMs", 1000) / 1000),
    maintenanceIntervalSeconds: whole(options.maintenanceIntervalSeconds ?? 60, "maintenanceIntervalSeconds", 1),
    enqueueTimeoutMs: whole(options.enqueueTimeoutMs ?? 3_000, "enqueueTimeoutMs", 1),
  };
}

function whole(value: unknown, name: string, min: number): number {
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < min) {
    throw new TypeError(`pgBossQueue: option "${name}" must be a whole number ≥ ${min}, got ${String(value)}.`);
  }
  return value;
}

import { randomUUID } from "node:crypto";
import PgBoss from "pg-boss";
import { pgBossJobIdFor } from "./pg-boss-job-id.js";
import { resolvePgBossOptions, type PgBossQueueOptions, type ResolvedPgBossOptions } from "./pg-boss-options.js";
import type { FailedDeliveries, FailedDelivery } from "./failed-deliveries.js";
import type { DeliveryQueue, ProcessDelivery, QueuedDelivery, QueueWorker, WorkerHooks } from "./queue.js";
import { withTimeout } from "../timeout.js";
import { QueueTimeoutError } from "./timeout.js";

/** A job's data: the delivery, plus the token of the `enqueue` call that stored it. */
interface StoredDelivery extends QueuedDelivery {
  enqueueToken: string;
}

export type { FailedDelivery, RetryResult } from "./failed-deliveries.js";

/** Worker options. */
export interface PgBossWorkerOptions {
  /** How many deliveries this worker runs at once (one pg-boss `work()` each). Default 1. */
  concurrency?: number;
  /** How often an idle worker looks for jobs, in seconds. Default 2 (pg-boss's own). */
  pollingIntervalSeconds?: number;
}

/**
 * `failed()` lists the oldest failure first. pg-boss 10 has no API that lists jobs by state: each exhausted job is
 * copied to the dead-letter queue `failedName`, and `failed()` reads that queue through pg-boss's own `fetch`,
 * then puts each copy back (`cancel` + `resume`); while a listing runs, the copies it holds are hidden from a second
 * listing. `retry()` is pg-boss's `retry`: one more attempt. `close()` stops the adapter's own `PgBoss` (a `boss`
 * you passed is left running: it is yours).
 */
export interface PgBossDeliveryQueue extends DeliveryQueue<PgBossWorkerOptions, QueueWorker>, FailedDeliveries {
  readonly name: string;
  /** The pg-boss queue that keeps a copy of each delivery whose attempts ran out (what `failed()` lists). */
  readonly failedName: string;
  work(process: ProcessDelivery, options?: PgBossWorkerOptions, hooks?: WorkerHooks): QueueWorker;
  /** The started `PgBoss` this adapter uses, for your own tooling (starts it on first use). */
  boss(): Promise<PgBoss>;
}

/**
 * A durable queue for verified deliveries, on pg-boss (PostgreSQL). The receiver enqueues (and answers 202
 * once Postgres committed the job); workers, in this process or others, run the handlers with retries.
 *
 * One job per delivery: the job id is a UUID derived from `webhook-id`, and pg-boss's `send` adds nothing
 * when a job with that id exists. Completed jobs stay in pg-boss's job table for `keepCompletedMs` (≥ 25 h)
 * before pg-boss archives them, so every copy and retry of a delivery finds its job.
 */
export function pgBossQueue(options: PgBossQueueOptions): PgBossDeliveryQueue {
  const config = resolvePgBossOptions(options);
  const sendOptions = {
    retryLimit: config.attempts - 1,
    retryDelay: config.retryDelaySeconds,
    retryBackoff: config.retryBackoff,
    expireInSeconds: config.expireInSeconds,
    retentionSeconds: config.retentionSeconds,
  };
  const failedName = `${config.name}__failed`;
  const errorListeners = new Set<(error: unknown) => void>();
  const listening = new WeakSet<PgBoss>();
  let starting: Promise<PgBoss> | undefined;
  let closed = false;

  /** Starts (once) the boss and the queue; a failed start is dropped, so the next call tries afresh. */
  function started(): Promise<PgBoss> {
    if (closed) return Promise.reject(new Error("pgBossQueue: the queue is closed."));
    starting ??= (async () => {
      const boss = config.boss ?? ownBoss(config);
      // Without a listener, pg-boss's 'error' event (the database unreachable) would crash the process.
      // Your own PgBoss survives a failed start, and gets the listener once.
      if (!listening.has(boss)) {
        listening.add(boss);
        boss.on("error", (error) => {
          for (const listener of errorListeners) listener(error);
        });
      }
      try {
        await boss.start();
        // The dead-letter queue first: the delivery queue names it (a foreign key).
        await ensureQueue(boss, { name: failedName, retentionSeconds: config.keepFailedSeconds });
        await ensureQueue(boss, { name: config.name, ...sendOptions, deadLetter: failedName });
      } catch (error) {
        // A PgBoss whose start failed stays half-started: throw it away (closing its pool).
        if (!config.boss) await boss.stop({ graceful: false, wait: false }).catch(() => undefined);
        throw error;
      }
      return boss;
    })();
    const attempt = starting;
    attempt.catch(() => {
      if (starting === attempt) starting = undefined;
    });
    return attempt;
  }

  async function store(delivery: QueuedDelivery): Promise<"queued" | "duplicate"> {
    const boss = await started();
    const id = pgBossJobIdFor(config.name, delivery.context.webhookId);
    // Your own PgBoss may archive completed jobs sooner than 25 h; send cannot see the archive.
    if (config.boss && (await boss.getJobById(config.name, id, { includeArchive: true }))) return "duplicate";
    const enqueueToken = randomUUID();
    const sent = await boss.send(config.name, { ...delivery, enqueueToken } satisfies StoredDelivery, {
      ...sendOptions,
      id,
    });
    if (sent !== null) return "queued";
    // null: pg-boss added nothing. Only a job with this id makes that a duplicate (a missing queue also gives null).
    const existing = await boss.getJobById<StoredDelivery>(config.name, id, { includeArchive: true });
    if (existing === null) {
      // Someone deleted the queue: create it again for Gemini's retry of this delivery, and refuse this one (503).
      await ensureQueue(boss, { name: failedName, retentionSeconds: config.keepFailedSeconds });
      await ensureQueue(boss, { name: config.name, ...sendOptions, deadLetter: failedName });
      throw new Error(
        `pgBossQueue: pg-boss stored no job and has none with this id (is queue "${config.name}" gone?).`,
      );
    }
    return existing.data?.enqueueToken === enqueueToken ? "queued" : "duplicate";
  }

  return {
    name: config.name,
    failedName,

    enqueue(delivery) {
      return bounded(store(delivery), config.enqueueTimeoutMs);
    },

    work(process, workerOptions = {}, hooks = {}) {
      const concurrency = workerOptions.concurrency ?? 1;
      if (!Number.isSafeInteger(concurrency) || concurrency < 1) {
        throw new TypeError(
          `pgBossQueue work(): option "concurrency" must be a positive integer, got ${String(concurrency)}.`,
        );
      }
      const pollingIntervalSeconds = workerOptions.pollingIntervalSeconds ?? 2;
      const running = new Set<Promise<unknown>>();
      const workerIds: string[] = [];
      let stopping = false;
      // While the database is down, pg-boss reports the same error at every poll: report each once.
      let lastReported: string | undefined;
      const report = (error: unknown) => {
        const message = (error as Error | undefined)?.message;
        if (message === lastReported) return;
        lastReported = message;
        try {
          hooks.onError?.(error);
        } catch {
          /* a listener's failure must not stop the worker */
        }
      };
      errorListeners.add(report);

      async function handle([job]: PgBoss.JobWithMetadata<StoredDelivery>[]): Promise<void> {
        if (!job) return;
        lastReported = undefined;
        if (!isStoredDelivery(job.data)) {
          // Not a delivery this package added (someone else's job in our queue): retrying cannot help.
          throw new Error("gemini-webhooks: this job's data is not a queued delivery.");
        }
        const { enqueueToken: _token, ...delivery } = job.data;
        // A job the receiver did not tag rejects with a JobRefusedError, thrown on like a handler's error: pg-boss 10
        // cannot fail a running job for good (its `fail` schedules the next attempt; `cancel` would hide the job
        // from failed()), so a refused job is refused at each attempt and then stays failed and listed.
        const run = process(delivery, { attempt: job.retryCount + 1, maxAttempts: job.retryLimit + 1 });
        running.add(run);
        try {
          await run;
        } finally {
          running.delete(run);
        }
      }

      // work() is synchronous; registering needs the database, so it is retried until it succeeds.
      const registering = (async () => {
        for (let wait = 500; !stopping; wait = Math.min(wait * 2, 10_000)) {
          try {
            const boss = await started();
            while (workerIds.length < concurrency && !stopping) {
              workerIds.push(
                await boss.work<StoredDelivery>(
                  config.name,
                  { batchSize: 1, includeMetadata: true, pollingIntervalSeconds },
                  handle,
                ),
              );
            }
            return;
          } catch (error) {
            report(error);
            await new Promise((resolve) => setTimeout(resolve, wait).unref());
          }
        }
      })();

      return {
        async close() {
          stopping = true;
          await registering;
          const boss = await starting?.catch(() => undefined);
          if (boss) await Promise.all(workerIds.map((id) => boss.offWork({ id })));
          // offWork only stops fetching: wait for the handlers already running, as close() promises.
          await Promise.allSettled([...running]);
          errorListeners.delete(report);
        },
      };
    },

    boss: started,

    async failed({ offset = 0, limit = 100 } = {}) {
      const boss = await started();
      const copies = await boss.fetch<StoredDelivery>(failedName, { batchSize: offset + limit, includeMetadata: true });
      // webhook-id → the newest copy (a delivery retried and failed again has one copy per failure).
      const listed = new Map<string, { copyId: string; delivery: FailedDelivery }>();
      const stale: string[] = [];
      try {
        for (const copy of copies) {
          if (!isStoredDelivery(copy.data)) continue;
          const webhookId = copy.data.context.webhookId;
          const original = await boss.getJobById<StoredDelivery>(config.name, pgBossJobIdFor(config.name, webhookId));
          // Retried since (or archived): the copy no longer stands for a failed delivery.
          if (original === null || original.state !== "failed") {
            stale.push(copy.id);
            continue;
          }
          const older = listed.get(webhookId);
          if (older) stale.push(older.copyId);
          listed.set(webhookId, { copyId: copy.id, delivery: describeFailed(original, copy) });
        }
      } finally {
        const kept = copies.map((copy) => copy.id).filter((id) => !stale.includes(id));
        if (kept.length > 0) {
          await boss.cancel(failedName, kept);
          await boss.resume(failedName, kept);
        }
        if (stale.length > 0) await boss.deleteJob(failedName, stale);
      }
      return [...listed.values()].map((entry) => entry.delivery).slice(offset);
    },

    async retry(webhookId) {
      const boss = await started();
      const id = pgBossJobIdFor(config.name, webhookId);
      const job = await boss.getJobById(config.name, id);
      if (!job) return "not_found";
      if (job.state !== "failed") return "not_failed";
      await boss.retry(config.name, id);
      return "retried";
    },

    async close() {
      closed = true;
      const boss = await starting?.catch(() => undefined);
      starting = undefined;
      if (boss && !config.boss) await boss.stop({ graceful: true, wait: true });
    },
  };
}

/**
 * Creates a pg-boss queue unless it exists. Two instances starting at once can make Postgres abort one
 * creation as a deadlock (each creates a partition and its foreign keys); the aborted one is tried again.
 */
async function ensureQueue(boss: PgBoss, queue: PgBoss.Queue): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    if (await boss.getQueue(queue.name)) return;
    try {
      await boss.createQueue(queue.name, queue);
      return;
    } catch (error) {
      if ((error as { code?: unknown }).code !== DEADLOCK_DETECTED || attempt >= 5) throw error;
    }
  }
}

/** PostgreSQL's SQLSTATE for a transaction aborted to break a deadlock. */
const DEADLOCK_DETECTED = "40P01";

function ownBoss(config: ResolvedPgBossOptions): PgBoss {
  // pg-boss hands these options to pg's Pool, which reads connectionTimeoutMillis (pg-boss's types omit it).
  const options: PgBoss.ConstructorOptions & { connectionTimeoutMillis: number } = {
    connectionString: config.connectionString,
    schema: config.schema,
    archiveCompletedAfterSeconds: config.keepCompletedSeconds,
    archiveFailedAfterSeconds: config.keepFailedSeconds,
    // A connection attempt to an unreachable server must not outlast an enqueue's bound.
    connectionTimeoutMillis: config.enqueueTimeoutMs,
    maintenanceIntervalSeconds: config.maintenanceIntervalSeconds,
    // The web process needs none of pg-boss's cron scheduling.
    schedule: false,
  };
  return new PgBoss(options);
}

/**
 * Settles like `pending`, or rejects with a `QueueTimeoutError` (Postgres did not commit in time: 503). A late
 * commit is safe: the job has the delivery's id, so Gemini's retry finds it as a duplicate.
 */
function bounded<T>(pending: Promise<T>, timeoutMs: number): Promise<T> {
  const message = `pgBossQueue: Postgres did not commit the job within ${timeoutMs} ms.`;
  return withTimeout(pending, timeoutMs, () => new QueueTimeoutError("the job", timeoutMs, message));
}

function describeFailed(
  job: PgBoss.JobWithMetadata<StoredDelivery>,
  copy: PgBoss.JobWithMetadata<StoredDelivery>,
): FailedDelivery {
  const output = job.output as { message?: unknown } | null;
  return {
    webhookId: job.data.context.webhookId,
    jobId: job.id,
    type: job.data.event.type,
    attemptsMade: job.retryCount + 1,
    failedReason: typeof output?.message === "string" ? output.message : "",
    failedAt: job.completedOn ? new Date(job.completedOn).getTime() : new Date(copy.createdOn).getTime(),
    receivedAt: job.data.receivedAt ?? new Date(job.createdOn).getTime(),
  };
}

function isStoredDelivery(data: unknown): data is StoredDelivery {
  const candidate = data as Partial<StoredDelivery> | null;
  return (
    typeof candidate === "object" &&
    candidate !== null &&
    typeof candidate.event?.type === "string" &&
    typeof candidate.context?.webhookId === "string" &&
    typeof candidate.rawBody === "string" &&
    typeof candidate.enqueueToken === "string"
  );
}

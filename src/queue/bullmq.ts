import { randomUUID } from "node:crypto";
import { Job, Queue, UnrecoverableError, Worker, type WorkerOptions } from "bullmq";
import { resolveBullmqOptions, type BullmqQueueOptions } from "./bullmq-options.js";
import { producerClient, workerClient, type OwnedClient } from "./connections.js";
import { jobIdFor, webhookIdOf } from "./job-id.js";
import { isJobRefused } from "./job-owner.js";
import type { FailedDeliveries, FailedDelivery } from "./failed-deliveries.js";
import type { DeliveryQueue, ProcessDelivery, QueuedDelivery, QueueWorker, WorkerHooks } from "./queue.js";
import { withTimeout } from "../timeout.js";
import { QueueTimeoutError } from "./timeout.js";

/** A job's data: the delivery, plus the token of the `enqueue` call that stored it. */
interface StoredDelivery extends QueuedDelivery {
  enqueueToken: string;
}

export type { FailedDelivery, RetryResult } from "./failed-deliveries.js";

/** Worker options: BullMQ's `WorkerOptions`, except what the adapter sets itself. */
export type BullmqWorkerOptions = Omit<WorkerOptions, "connection" | "prefix" | "autorun">;

/** A running BullMQ worker. */
export interface BullmqQueueWorker extends QueueWorker {
  /** The BullMQ `Worker`, for its events and API. */
  readonly worker: Worker;
}

/**
 * `failed()` lists the most recently failed first; `retry()` gives a delivery all its attempts again; `close()`
 * closes the web process's connection (workers are closed by their own `close()`).
 */
export interface BullmqDeliveryQueue extends DeliveryQueue<BullmqWorkerOptions, BullmqQueueWorker>, FailedDeliveries {
  readonly name: string;
  work(process: ProcessDelivery, options?: BullmqWorkerOptions, hooks?: WorkerHooks): BullmqQueueWorker;
  /** The BullMQ `Queue` this adapter adds to (created on first use), for Bull Board or your own tooling. */
  queue(): Queue;
}

/**
 * A durable queue for verified deliveries, on BullMQ. The receiver enqueues (and answers 202 once Redis
 * acknowledged the job); workers, in this process or others, run the handlers with retries.
 *
 * One job per delivery: the job id is derived from `webhook-id`, and BullMQ keeps a completed job for
 * `keepCompletedMs` (≥ 25 h), so every copy and retry of a delivery finds it and adds nothing.
 */
export function bullmqQueue(options: BullmqQueueOptions): BullmqDeliveryQueue {
  const config = resolveBullmqOptions(options);
  const jobOptions = {
    attempts: config.attempts,
    backoff: config.backoff,
    removeOnComplete: { age: Math.ceil(config.keepCompletedMs / 1000) },
    removeOnFail: { age: Math.ceil(config.keepFailedMs / 1000) },
  };
  let producer: { queue: Queue; connection: OwnedClient } | undefined;

  function queue(): Queue {
    if (producer) return producer.queue;
    const connection = producerClient(config.connection);
    const created = new Queue(config.name, {
      connection: connection.client,
      prefix: config.prefix,
      defaultJobOptions: jobOptions,
    });
    // Connection errors reach callers as rejected operations (enqueue → 503); the event itself must not crash.
    created.on("error", () => {});
    const current = { queue: created, connection };
    // A Queue whose start-up failed (its connection ended, its version check failed) stays failed:
    // drop it, so the next enqueue starts a fresh one instead of failing until a restart.
    created.waitUntilReady().catch(() => {
      if (producer === current) producer = undefined;
      void shutDown(current);
    });
    producer = current;
    return created;
  }

  async function store(delivery: QueuedDelivery): Promise<"queued" | "duplicate"> {
    const target = queue();
    const jobId = jobIdFor(delivery.context.webhookId);
    const enqueueToken = randomUUID();
    // Queue.add with an id that exists adds nothing and still resolves (BullMQ reports it only as a
    // "duplicated" event on the events stream). Which call stored the job is read from the job itself: its
    // data holds the token of the call that stored it, and only that call (in any process) knows its token.
    await target.add(delivery.event.type, { ...delivery, enqueueToken } satisfies StoredDelivery, { jobId });
    const stored = (await target.getJob(jobId)) as Job<StoredDelivery> | undefined;
    // Gone already (only a user's clean-up removes a job this soon): it was stored, so acknowledging is safe.
    if (stored === undefined) return "queued";
    return stored.data?.enqueueToken === enqueueToken ? "queued" : "duplicate";
  }

  return {
    name: config.name,

    enqueue(delivery) {
      // Redis may still store the job after the 503: safe, since the job has the delivery's id, so Gemini's
      // retry finds it as a duplicate instead of adding another.
      const timeoutMs = config.enqueueTimeoutMs;
      return withTimeout(store(delivery), timeoutMs, () => new QueueTimeoutError("the job", timeoutMs));
    },

    work(process, workerOptions = {}, hooks = {}) {
      const connection = workerClient(config.connection);
      const worker = new Worker<StoredDelivery>(
        config.name,
        async (job) => {
          if (!isStoredDelivery(job.data)) {
            // Not a delivery this package added (someone else's job in our queue): retrying cannot help.
            throw new UnrecoverableError("gemini-webhooks: this job's data is not a queued delivery.");
          }
          const { enqueueToken: _token, ...delivery } = job.data;
          try {
            await process(delivery, { attempt: job.attemptsMade + 1, maxAttempts: job.opts.attempts ?? 1 });
          } catch (error) {
            // Another attempt would read the same data: fail it now (it stays in the failed set, for its owner).
            throw isJobRefused(error) ? new UnrecoverableError(error.message) : error;
          }
        },
        { ...workerOptions, connection: connection.client, prefix: config.prefix, autorun: true },
      );
      // Without a listener, an 'error' event (Redis unreachable, a failed lock renewal) would crash the
      // process. While Redis is down, errors repeat at every reconnect attempt (of each of the worker's
      // connections): only the first is reported, until the connection is ready again.
      let outage = false;
      let lastReported: string | undefined;
      connection.client.on("ready", () => {
        outage = false;
        lastReported = undefined;
      });
      worker.on("error", (error) => {
        if (outage || error?.message === lastReported) return;
        outage = connection.client.status !== "ready";
        lastReported = error?.message;
        try {
          hooks.onError?.(error);
        } catch {
          /* a listener's failure must not stop the worker */
        }
      });
      return {
        worker,
        async close() {
          await worker.close();
          connection.client.disconnect();
        },
      };
    },

    queue,

    async failed({ offset = 0, limit = 100 } = {}) {
      const jobs = (await queue().getFailed(offset, offset + limit - 1)) as Job<StoredDelivery>[];
      return jobs.filter((job) => job !== undefined && webhookIdOf(job.id) !== undefined).map(describeFailed);
    },

    async retry(webhookId) {
      const job = await queue().getJob(jobIdFor(webhookId));
      if (!job) return "not_found";
      if ((await job.getState()) !== "failed") return "not_failed";
      await job.retry("failed", { resetAttemptsMade: true, resetAttemptsStarted: true });
      return "retried";
    },

    async close() {
      const closing = producer;
      producer = undefined;
      if (closing) await shutDown(closing);
    },
  };
}

/** Closes a Queue and, if the adapter made it, its client: at once, even when Redis is unreachable. */
async function shutDown({ queue, connection }: { queue: Queue; connection: OwnedClient }): Promise<void> {
  if (connection.owned) connection.client.disconnect();
  await queue.close().catch(() => {});
}

function describeFailed(job: Job<StoredDelivery>): FailedDelivery {
  return {
    webhookId: webhookIdOf(job.id)!,
    jobId: job.id!,
    type: job.data?.event?.type ?? job.name,
    attemptsMade: job.attemptsMade,
    failedReason: job.failedReason,
    failedAt: job.finishedOn,
    receivedAt: job.data?.receivedAt ?? job.timestamp,
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

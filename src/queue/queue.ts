import type { VerifiedContext } from "../context.js";
import type { AnyGeminiEvent } from "../events.js";

/**
 * The seam between the receiver and a durable queue (the BullMQ adapter implements it).
 * The web process calls `enqueue` after verification and the dedupe claim; a worker process calls
 * `work` with the receiver's own processor, so handlers are registered once for both.
 */

/** One verified delivery, as stored in the queue (JSON-serializable). */
export interface QueuedDelivery {
  event: AnyGeminiEvent;
  /** What a handler's `ctx` holds in a worker, besides `rawBody` and `attempt`: everything the signature proved. */
  context: VerifiedContext;
  /** The exact bytes that were verified, base64 (a worker's `ctx.rawBody`). */
  rawBody: string;
  /** W3C trace context of the receive span (`traceparent`, `tracestate`), when tracing is on. */
  traceContext?: Record<string, string>;
  /** When the web process accepted it, ms since the epoch. */
  receivedAt: number;
  /**
   * The receiver's owner tag over `context` and the raw body (src/queue/job-owner.ts): a worker runs only jobs
   * whose tag its own receiver made, with the event derived again from `rawBody` (`event` is never used there).
   * Absent only from a job another version or another program added: a worker refuses it.
   */
  owner?: string;
}

/** Which attempt a worker is running, 1-based, and how many it will make in all. */
export interface AttemptInfo {
  attempt: number;
  maxAttempts: number;
}

/** Runs the handlers for one queued delivery; rejects to have the queue retry it (with backoff). */
export type ProcessDelivery = (delivery: QueuedDelivery, attempt: AttemptInfo) => Promise<void>;

/** What a worker reports outside any one delivery (its connection failing, a lock it could not renew). */
export interface WorkerHooks {
  onError?(error: unknown): void;
}

/** A running worker. `close()` is graceful: it waits for the handlers already running. */
export interface QueueWorker {
  close(): Promise<void>;
}

export interface DeliveryQueue<WorkerOptions extends object = object, Worker extends QueueWorker = QueueWorker> {
  /**
   * Stores the delivery durably. Resolves `"queued"` only once the queue's store acknowledged it,
   * `"duplicate"` when a job for this `webhookId` already exists (queued, running or completed).
   * Rejects (within a bounded time) when the store is unavailable: the receiver answers 503.
   */
  enqueue(delivery: QueuedDelivery): Promise<"queued" | "duplicate">;
  /** Starts a worker that runs `process` for each job; `options` are the adapter's worker options. */
  work(process: ProcessDelivery, options?: WorkerOptions, hooks?: WorkerHooks): Worker;
}

/** Any queue adapter, whatever its worker options. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyDeliveryQueue = DeliveryQueue<any, QueueWorker>;

/** The worker options `webhooks.work()` takes with queue `Q` (BullMQ's `WorkerOptions`, say). */
export type WorkerOptionsOf<Q> = Q extends DeliveryQueue<infer Options, QueueWorker> ? Options : object;

/** What `webhooks.work()` returns with queue `Q`. */
export type WorkerOf<Q> = Q extends DeliveryQueue<object, infer Worker> ? Worker : QueueWorker;

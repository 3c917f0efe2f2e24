import type { QueuedDelivery } from "../queued-delivery.js";

/**
 * The seam between the receiver and a durable queue (the BullMQ adapter implements it).
 * The web process calls `enqueue` after verification and the dedupe claim; a worker process calls
 * `work` with the receiver's own processor, so handlers are registered once for both.
 */

// The delivery's shape lives outside queue/, so telemetry can name it without importing back into queue/.
export type { QueuedDelivery } from "../queued-delivery.js";

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

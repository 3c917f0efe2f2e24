/** A delivery whose attempts are exhausted, as an engine's `failed()` lists it. */
export interface FailedDelivery {
  webhookId: string;
  /** The engine's job id (BullMQ: `wh-` + the encoded `webhook-id`; pg-boss: a UUID), for the engine's own tools. */
  jobId: string;
  type: string;
  /** How many attempts were made. */
  attemptsMade: number;
  /** The last attempt's error message, as the engine recorded it. */
  failedReason: string;
  /** When the last attempt failed, ms since the epoch. */
  failedAt?: number;
  /** When the web process accepted the delivery, ms since the epoch. */
  receivedAt: number;
}

/** What `retry()` found: `retried` (it is waiting for a worker again), no such delivery, or one that has not failed. */
export type RetryResult = "retried" | "not_found" | "not_failed";

/**
 * What every engine offers for exhausted deliveries (and `gemini-webhooks queue failed|retry` uses). The order of
 * the list and what a retry restores are the engine's: see bullmqQueue and pgBossQueue.
 */
export interface FailedDeliveries {
  /** Deliveries whose attempts are exhausted. */
  failed(options?: { offset?: number; limit?: number }): Promise<FailedDelivery[]>;
  /** Moves a failed delivery back to the queue. */
  retry(webhookId: string): Promise<RetryResult>;
  /** Closes what the adapter opened itself. */
  close(): Promise<void>;
}

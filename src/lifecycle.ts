import type { WebhookErrorCode } from "./errors.js";
import type { SignatureScheme } from "./verify/index.js";

/** The stages a delivery goes through; each is reported once at most (`received` always). */
export type DeliveryStage =
  /** A POST reached the receiver. */
  | "received"
  /** Its signature and timestamp verified. */
  | "verified"
  /** Refused before any handler ran (4xx, or 5xx for a misconfiguration or an unavailable store/key set). */
  | "rejected"
  /** Already handled (200 `duplicate`) or being handled by another request (409 `delivery_in_progress`). */
  | "duplicate"
  /** Handlers succeeded (or none was registered): answered 200, or, in a queue worker, the job completed. */
  | "handled"
  /**
   * A handler threw: answered 500 and the claim was released, so Gemini's retry runs. In a queue worker:
   * the last attempt failed, and the delivery stays in the queue's failed set.
   */
  | "failed"
  /** Stored durably in the queue (answered 202); a worker runs the handlers. */
  | "queued"
  /** Queue workers: an attempt at a queued delivery began (`attempt` says which). */
  | "started"
  /** Queue workers: an attempt failed and another will follow after the backoff. */
  | "retrying";

/** One lifecycle report, shaped for a log line or a metric. */
export interface DeliveryLifecycleEvent {
  stage: DeliveryStage;
  /** The HTTP status answered (final stages only). */
  status?: number;
  /** The error code, for `rejected`, `failed`, and a 409 `duplicate`. */
  code?: WebhookErrorCode;
  webhookId?: string;
  /** The event `type`, once the body was parsed. */
  type?: string;
  scheme?: SignatureScheme;
  /** Milliseconds since the delivery was received (in a queue worker: since this attempt started). */
  durationMs: number;
  /** Queue workers only: the attempt, 1-based. */
  attempt?: number;
}

/** May be async: a throw or a rejection is ignored and never changes an answer. */
export type LifecycleListener = (event: DeliveryLifecycleEvent) => unknown;

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
  /** Handlers succeeded (or none was registered): answered 200. */
  | "handled"
  /** A handler threw: answered 500 and the claim was released, so Gemini's retry runs. */
  | "failed"
  /** Stored durably in the queue (answered 202); a worker runs the handlers. */
  | "queued";

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
  /** Milliseconds since the delivery was received. */
  durationMs: number;
}

/** May be async: a throw or a rejection is ignored and never changes an answer. */
export type LifecycleListener = (event: DeliveryLifecycleEvent) => unknown;

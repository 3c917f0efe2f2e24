import type { WebhookErrorCode } from "../errors.js";
import type { SignatureScheme } from "../verify/index.js";
import type { QueuedDelivery } from "../queued-delivery.js";

/**
 * The seam between the pipeline and a tracing/metrics backend (the OpenTelemetry adapter implements it).
 * The pipeline calls these hooks; an adapter that is absent costs one `undefined` check per delivery.
 */

/** How a delivery ended, for the span's status and the outcome counter. */
export type DeliveryOutcome = "handled" | "duplicate" | "rejected" | "failed" | "queued";

/** What is known about a delivery when it ends. Only validated values appear here. */
export interface DeliveryFacts {
  outcome: DeliveryOutcome;
  status: number;
  code?: WebhookErrorCode;
  /** Only once the header passed validation. */
  webhookId?: string;
  type?: string;
  scheme?: SignatureScheme;
  secretIndex?: number;
  keyId?: string;
  durationMs: number;
  /** 5xx only: what went wrong (a handler's own error for `handler_failed`), for the span's exception event. */
  error?: unknown;
}

/** One delivery's trace, from the moment the request reached the receiver to its answer. */
export interface DeliveryTrace {
  /** Runs `fn` (the handlers, or the enqueue) inside this trace's context, so user spans are its children. */
  run<T>(fn: () => T): T;
  /** The W3C trace context to store with a queued job (`traceparent`, `tracestate`). */
  carrier(): Record<string, string> | undefined;
  end(facts: DeliveryFacts): void;
}

/** One attempt of a queued delivery in a worker. */
export interface ProcessTrace {
  run<T>(fn: () => T): T;
  end(outcome: "handled" | "retrying" | "failed", error?: unknown): void;
}

export interface Telemetry {
  /** Called when a POST reaches the receiver; `undefined` when nothing would be recorded (no SDK registered). */
  startDelivery(): DeliveryTrace | undefined;
  /** Called when a worker starts an attempt; links to the receive span through `delivery.traceContext`. */
  startProcess(delivery: QueuedDelivery, attempt: number): ProcessTrace;
}

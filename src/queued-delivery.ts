import type { VerifiedContext } from "./context.js";
import type { AnyGeminiEvent } from "./events.js";

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

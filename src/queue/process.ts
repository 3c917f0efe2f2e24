import type { DeliveryContext } from "../context.js";
import { sourceOf } from "../dedupe/completion-key.js";
import { runHandlers, type HandlerRegistry } from "../dispatch.js";
import { isWebhookError, WebhookError } from "../errors.js";
import type { DeliveryLifecycleEvent, DeliveryStage } from "../lifecycle.js";
import { callSafely, type Listeners } from "../listeners.js";
import type { CryptoProvider } from "../crypto/provider.js";
import type { ProcessTrace, Telemetry } from "../telemetry/telemetry.js";
import { isJobRefused, ownedDelivery, type JobOwner, type OwnedDelivery } from "./job-owner.js";
import type { ProcessDelivery, QueuedDelivery } from "./queue.js";

/**
 * What a queue worker runs for each job: the receiver's own handlers (registered once, for the web
 * process and the workers alike), with a `ctx` of what the signature proved, the verified bytes and the
 * attempt; no `request` (it is long gone).
 *
 * Reports, in the worker's process: `started`, then `handled`, `retrying` (another attempt will follow)
 * or `failed` (attempts exhausted); each failed attempt also reaches `onError` as `handler_failed`.
 * Rejects with the handler's own error, so the queue records its message and retries.
 *
 * A job is checked first (src/queue/job-owner.ts): one whose owner tag this receiver did not make (another app
 * on the same queue, or data changed in the store) runs no handler; it reaches `onError` as `job_refused` and
 * rejects with a `JobRefusedError`, which BullMQ fails at once, without another attempt (pg-boss, which cannot,
 * refuses it again at each attempt: src/queue/pg-boss.ts).
 */
export function createProcessor(
  registry: HandlerRegistry,
  listeners: Listeners,
  telemetry: Telemetry | undefined,
  owner: JobOwner,
  crypto: CryptoProvider,
): ProcessDelivery {
  return async function processDelivery(data, { attempt, maxAttempts }) {
    let owned: OwnedDelivery;
    try {
      owned = await ownedDelivery(data, owner, crypto);
    } catch (refusal) {
      // Anything else (the secret reader failing, say) is this process's trouble: the job is retried.
      if (isJobRefused(refusal)) {
        listeners.reportError(
          new WebhookError("job_refused", { webhookId: refusal.webhookId, detail: refusal.message, cause: refusal }),
        );
      } else if (isWebhookError(refusal)) listeners.reportError(refusal);
      throw refusal;
    }
    const { event, context } = owned;
    const started = performance.now();
    const report = (stage: DeliveryStage, code?: WebhookError["code"]) => {
      if (listeners.lifecycle.length === 0) return;
      const lifecycleEvent: DeliveryLifecycleEvent = {
        stage,
        code,
        webhookId: context.webhookId,
        type: event.type,
        scheme: context.scheme,
        durationMs: performance.now() - started,
        attempt,
      };
      for (const listener of listeners.lifecycle) callSafely(listener, lifecycleEvent);
    };
    const trace = startTrace(telemetry, { ...data, event }, attempt);
    report("started");

    // Unknown types are queued too (the web process may register no handlers at all): with none here,
    // the job completes, as inline mode answers `unhandled`.
    const handlers = registry.handlersFor(event.type);
    const ctx: DeliveryContext = {
      ...context,
      source: sourceOf(context.webhookId),
      rawBody: Buffer.from(owned.rawBody),
      attempt,
      maxAttempts,
    };
    try {
      const running = () => runHandlers(handlers, event, ctx);
      const pending = trace ? trace.run(running) : running();
      if (pending) await pending;
    } catch (cause) {
      // BullMQ's UnrecoverableError (a handler's way to say "never retry this") ends the job at once.
      const last = attempt >= maxAttempts || (cause as Error | undefined)?.name === "UnrecoverableError";
      listeners.reportError(
        new WebhookError("handler_failed", {
          webhookId: context.webhookId,
          eventType: event.type,
          cause,
          detail: last
            ? `attempt ${attempt} of ${maxAttempts}, the last: left in the failed set`
            : `attempt ${attempt} of ${maxAttempts}, will be retried`,
        }),
      );
      report(last ? "failed" : "retrying", "handler_failed");
      endTrace(trace, last ? "failed" : "retrying", cause);
      // The queue records an Error's message as the job's failedReason.
      throw cause instanceof Error ? cause : new Error(String(cause));
    }
    report("handled");
    endTrace(trace, "handled");
  };
}

function startTrace(
  telemetry: Telemetry | undefined,
  delivery: QueuedDelivery,
  attempt: number,
): ProcessTrace | undefined {
  if (!telemetry) return undefined;
  try {
    return telemetry.startProcess(delivery, attempt);
  } catch {
    return undefined; // a telemetry backend's failure must not fail a delivery
  }
}

function endTrace(trace: ProcessTrace | undefined, outcome: "handled" | "retrying" | "failed", error?: unknown): void {
  try {
    trace?.end(outcome, error);
  } catch {
    /* a telemetry backend's failure must not change the outcome */
  }
}

// The README's observability recipes, runnable. The regions between the "recipe" markers are copied
// verbatim into docs/observability.md (a test checks they stay identical), so edit them here.
import type { DeliveryLifecycleEvent, GeminiWebhooks, WebhookErrorCode } from "gemini-webhooks-express";

/** The part of a pino logger the recipe uses (pino's `Logger` fits as is). */
export interface Logger {
  debug(fields: object, message: string): void;
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
  error(fields: object, message: string): void;
}

// recipe:start pino
/** One log line per delivery outcome: info for handled and duplicates, warn for rejections, error for failures. */
export function logDeliveries(webhooks: GeminiWebhooks, logger: Logger): void {
  webhooks.onLifecycle((event) => {
    const fields = { ...event, durationMs: Math.round(event.durationMs * 10) / 10 };
    if (event.stage === "received" || event.stage === "verified") logger.debug(fields, `gemini webhook ${event.stage}`);
    else if (event.stage === "handled" || event.stage === "duplicate")
      logger.info(fields, `gemini webhook ${event.stage}`);
    else if (event.stage === "rejected" && (event.status ?? 0) < 500) logger.warn(fields, "gemini webhook rejected");
    else logger.error(fields, `gemini webhook ${event.stage}`);
  });
  // onError carries what lifecycle events leave out: the handler's own error, for the stack trace.
  webhooks.onError((error) => {
    if (error.code === "handler_failed")
      logger.error(
        { err: error.cause, webhookId: error.webhookId, type: error.eventType },
        "gemini webhook handler threw",
      );
  });
}
// recipe:end

// recipe:start counting
/** Rejections and failures so far, by error code (e.g. "invalid_signature" → 3). */
export type RejectionCounts = Map<WebhookErrorCode, number>;

export function countRejections(webhooks: GeminiWebhooks): RejectionCounts {
  const counts: RejectionCounts = new Map();
  webhooks.onLifecycle((event) => {
    if ((event.stage === "rejected" || event.stage === "failed") && event.code) {
      counts.set(event.code, (counts.get(event.code) ?? 0) + 1);
    }
  });
  return counts;
}
// recipe:end

/** A console stand-in for pino, so the example needs no logging dependency: one short line per event. */
export function consoleLogger(write: (line: string) => void): Logger {
  const line = (level: string) => (fields: object, message: string) => {
    const event = fields as Partial<DeliveryLifecycleEvent>;
    const parts = [event.status, event.code, event.type, event.scheme, event.webhookId].filter(
      (part) => part !== undefined,
    );
    const duration = event.durationMs !== undefined ? ` in ${event.durationMs} ms` : "";
    const cause = "err" in fields && fields.err instanceof Error ? ` (${fields.err.message})` : "";
    write(`[${level}] ${message}${parts.length ? `: ${parts.join(" ")}` : ""}${duration}${cause}`);
  };
  return { debug: () => {}, info: line("info"), warn: line("warn"), error: line("error") };
}

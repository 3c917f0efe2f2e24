import type { IncomingMessage, ServerResponse } from "node:http";
import { performance } from "node:perf_hooks";
import type { DeliveryContext } from "./context.js";
import { isThenable, type ClaimResult } from "./dedupe/store.js";
import { HandlerRegistry, runHandlers, type AnyHandler } from "./dispatch.js";
import { WebhookError, isWebhookError } from "./errors.js";
import type { AnyGeminiEvent, EventFor, GeminiEventType } from "./events.js";
import type { DeliveryLifecycleEvent, DeliveryStage, LifecycleListener } from "./lifecycle.js";
import { resolveOptions, type GeminiWebhooksOptions } from "./options.js";
import { parseEvent } from "./parse.js";
import { getRawBody, type RequestWithBody } from "./raw-body.js";
import { sendAccepted, sendError, type AcceptedStatus } from "./respond.js";
import { readWebhookHeaders } from "./verify/headers.js";
import { createSignatureVerifier, type Verification } from "./verify/index.js";
import { parseSignatureHeader } from "./verify/signature-list.js";
import { checkTimestamp } from "./verify/timestamp.js";

/** A handler for one or more event types. Throw (or reject) to answer 500 and have Gemini retry. */
export type EventHandler<E> = (event: E, ctx: DeliveryContext) => unknown;

/** Receives every rejection and handler failure; `error.code` is stable, `error.cause` holds the original error. */
export type ErrorListener = (error: WebhookError) => void;

/** The receiver: an Express middleware (`app.use(path, webhooks)`) with handler registration. */
export interface GeminiWebhooks {
  (req: IncomingMessage, res: ServerResponse, next: (error?: unknown) => void): void;
  /** Runs `handler` for deliveries of `type` (or any of several types). Unknown type names are allowed. */
  on<T extends GeminiEventType | (string & {})>(type: T | readonly T[], handler: EventHandler<EventFor<T>>): GeminiWebhooks;
  /** Runs `handler` for every verified delivery, known type or not, after the type's own handlers. */
  onAny(handler: EventHandler<AnyGeminiEvent>): GeminiWebhooks;
  /** Reports rejections and failures (for logs and metrics). Without a listener, 5xx causes go to console.error. */
  onError(listener: ErrorListener): GeminiWebhooks;
  /** Reports each stage of each delivery: `received`, `verified`, `rejected`, `duplicate`, `handled`, `failed`. */
  onLifecycle(listener: LifecycleListener): GeminiWebhooks;
}

/** Creates the receiver. Options are checked now: a bad one throws a TypeError naming it. */
export function geminiWebhooks(options: GeminiWebhooksOptions): GeminiWebhooks {
  const config = resolveOptions(options);
  const verifySignature = createSignatureVerifier({
    secrets: config.secrets,
    jwks: config.jwks,
    toleranceSeconds: config.toleranceSeconds,
    now: config.now,
    reportKeyFailure: (error) => reportError(error),
  });
  const store = config.dedupe;
  const registry = new HandlerRegistry();
  const errorListeners: ErrorListener[] = [];
  const lifecycleListeners: LifecycleListener[] = [];

  /** Tracks one delivery for lifecycle reports; costs nothing when nobody listens. */
  class Delivery {
    readonly started = lifecycleListeners.length > 0 ? performance.now() : 0;
    webhookId?: string;
    type?: string;
    scheme?: Verification["scheme"];

    report(stage: DeliveryStage, status?: number, code?: WebhookError["code"]): void {
      if (lifecycleListeners.length === 0) return;
      const event: DeliveryLifecycleEvent = {
        stage,
        status,
        code,
        webhookId: this.webhookId,
        type: this.type,
        scheme: this.scheme,
        durationMs: performance.now() - this.started,
      };
      for (const listener of lifecycleListeners) safely(() => listener(event));
    }
  }

  function reportError(error: WebhookError): void {
    if (errorListeners.length === 0) {
      if (error.status >= 500) console.error(`[gemini-webhooks] ${error.code}: ${error.message}`, error.cause ?? "");
      return;
    }
    for (const listener of errorListeners) safely(() => listener(error));
  }

  async function receive(req: RequestWithBody, delivery: Delivery): Promise<AcceptedStatus> {
    // With jwks configured, a JWT-only delivery may lack webhook-id / webhook-timestamp (the token stands in).
    const headers = readWebhookHeaders(req.headers, config.jwks !== undefined);
    delivery.webhookId = headers.id;
    const entries = parseSignatureHeader(headers.signature, headers.id);
    const pendingBody = getRawBody(req, config);
    const body = pendingBody instanceof Promise ? await pendingBody : pendingBody;
    const pendingVerification = verifySignature(headers, entries, body);
    const verification = pendingVerification instanceof Promise ? await pendingVerification : pendingVerification;
    const id = verification.webhookId;
    delivery.webhookId = id;
    delivery.scheme = verification.scheme;
    // Always present for v1 and v1a; a JWT without it was checked by its own iat/exp.
    if (headers.timestamp !== undefined) checkTimestamp(headers.timestamp, config.now(), config.toleranceSeconds, id);
    delivery.report("verified");

    // Claimed only now, after verification: a forger must not be able to burn ids.
    if (store) {
      const claiming = claimOnce(id);
      const claim = isThenable(claiming) ? await claiming : claiming;
      if (claim === "done") return "duplicate";
      if (claim === "in-flight") throw new WebhookError("delivery_in_progress", { webhookId: id });
    }
    try {
      const event = verification.event ?? parseEvent(body, id);
      delivery.type = event.type;
      const handlers = registry.handlersFor(event.type);
      if (handlers.length > 0) {
        const ctx: DeliveryContext = {
          webhookId: id,
          timestamp: verification.timestamp,
          scheme: verification.scheme,
          secretIndex: verification.secretIndex,
          keyId: verification.keyId,
          claims: verification.claims,
          rawBody: body,
          request: req,
        };
        try {
          const pending = runHandlers(handlers, event, ctx);
          if (pending) await pending;
        } catch (cause) {
          throw new WebhookError("handler_failed", { webhookId: id, eventType: event.type, cause });
        }
      }
      const completing = store ? completeQuietly(id) : undefined;
      if (completing) await completing;
      return handlers.length > 0 ? "received" : "unhandled";
    } catch (error) {
      // Not done: forget the claim so Gemini's retry is processed, not dropped as a duplicate.
      const releasing = store ? releaseQuietly(id) : undefined;
      if (releasing) await releasing;
      throw error;
    }
  }

  // The store calls below are sync-first: a store that answers synchronously (the memory store) costs no
  // promise and no async hop; a promise (Redis) is awaited as before.
  function claimOnce(id: string): ClaimResult | Promise<ClaimResult> {
    const unavailable = (cause: unknown) => new WebhookError("store_unavailable", { webhookId: id, cause });
    try {
      const result = store!.claim(id);
      return isThenable(result)
        ? Promise.resolve(result).catch((cause: unknown) => {
            throw unavailable(cause);
          })
        : result;
    } catch (cause) {
      throw unavailable(cause);
    }
  }

  // The handlers ran: answering 5xx now would make them run again, so a store failure is only reported.
  function completeQuietly(id: string): void | Promise<void> {
    const report = (cause: unknown) =>
      reportError(new WebhookError("store_unavailable", { webhookId: id, cause, detail: "could not mark the delivery done" }));
    try {
      const result = store!.complete(id);
      if (isThenable(result)) return Promise.resolve(result).then(undefined, report);
    } catch (cause) {
      report(cause);
    }
  }

  // An unreleased claim expires on its own (the store's in-flight TTL); report and move on.
  function releaseQuietly(id: string): void | Promise<void> {
    const report = (cause: unknown) =>
      reportError(new WebhookError("store_unavailable", { webhookId: id, cause, detail: "could not release the claim" }));
    try {
      const result = store!.release(id);
      if (isThenable(result)) return Promise.resolve(result).then(undefined, report);
    } catch (cause) {
      report(cause);
    }
  }

  const middleware = function geminiWebhooksMiddleware(req: IncomingMessage, res: ServerResponse, next: (error?: unknown) => void) {
    if (req.method !== "POST") return next();
    const delivery = new Delivery();
    delivery.report("received");
    receive(req, delivery).then(
      (status) => {
        sendAccepted(res, status);
        delivery.report(status === "duplicate" ? "duplicate" : "handled", 200);
      },
      (caught: unknown) => {
        const error = isWebhookError(caught)
          ? caught
          : new WebhookError("handler_failed", { webhookId: delivery.webhookId, eventType: delivery.type, cause: caught });
        sendError(res, error);
        if (error.code === "body_timeout" || error.code === "request_aborted") res.once("finish", () => req.destroy());
        delivery.report(stageOf(error), error.status, error.code);
        reportError(error);
      },
    );
  } as GeminiWebhooks;

  middleware.on = (type, handler) => {
    for (const name of typeof type === "string" ? [type] : type) {
      if (typeof name !== "string" || name === "") throw new TypeError("webhooks.on(type, handler): type must be a non-empty string.");
      registry.add(name, checkHandler(handler) as AnyHandler);
    }
    return middleware;
  };
  middleware.onAny = (handler) => {
    registry.addAny(checkHandler(handler));
    return middleware;
  };
  middleware.onError = (listener) => {
    errorListeners.push(checkHandler(listener));
    return middleware;
  };
  middleware.onLifecycle = (listener) => {
    lifecycleListeners.push(checkHandler(listener));
    return middleware;
  };
  return middleware;
}

function stageOf(error: WebhookError): DeliveryStage {
  if (error.code === "delivery_in_progress") return "duplicate";
  if (error.code === "handler_failed") return "failed";
  return "rejected";
}

function checkHandler<F>(handler: F): F {
  if (typeof handler !== "function") throw new TypeError("gemini-webhooks: a handler or listener must be a function.");
  return handler;
}

// A listener that throws must not change the answer or break other listeners.
function safely(call: () => void): void {
  try {
    call();
  } catch {
    /* listener errors are the listener's concern */
  }
}

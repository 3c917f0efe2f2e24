import type { IncomingHttpHeaders } from "node:http";
import { acceptedAnswer, closing, errorAnswer, type AcceptedStatus, type Answer } from "./answer.js";
import type { DeliveryContext } from "./context.js";
import { isThenable, type ClaimResult, type DedupeStore } from "./dedupe/store.js";
import { runHandlers, type HandlerRegistry } from "./dispatch.js";
import { WebhookError, isWebhookError } from "./errors.js";
import type { AnyGeminiEvent } from "./events.js";
import { DeliveryRecord, type Listeners } from "./listeners.js";
import type { ReceiverConfig } from "./options.js";
import { parseEvent } from "./parse.js";
import type { QueuedDelivery } from "./queue/queue.js";
import { readWebhookHeaders } from "./verify/headers.js";
import { createSignatureVerifier, type Verification } from "./verify/index.js";
import { parseSignatureHeader } from "./verify/signature-list.js";
import { checkTimestamp } from "./verify/timestamp.js";

/** One delivery as any door (Express, Web `Request`, Fastify) hands it to the pipeline. */
export interface DeliveryInput {
  /** Request headers by lower-case name, as Node gives them. */
  readonly headers: IncomingHttpHeaders;
  /**
   * Reads the exact body bytes with the door's limits (size, time), throwing a `WebhookError` when one is hit.
   * Called at most once, only after the headers passed: a request refused earlier never costs a read.
   */
  readBody(): Buffer | Promise<Buffer>;
  /** What handlers see as `ctx.request`. */
  readonly request: DeliveryContext["request"];
}

/** Takes one delivery through verification, the dedupe claim and dispatch; never rejects. */
export type Pipeline = (input: DeliveryInput) => Promise<Answer>;

/**
 * The whole receiver, free of any framework: headers → encoding → signature header → body → signature →
 * timestamp → claim → parse → handlers (or the queue) → complete/release → answer.
 */
export function createPipeline(config: ReceiverConfig, registry: HandlerRegistry, listeners: Listeners): Pipeline {
  const verifySignature = createSignatureVerifier({
    secrets: config.secrets,
    jwks: config.jwks,
    toleranceSeconds: config.toleranceSeconds,
    now: config.now,
    reportKeyFailure: (error) => listeners.reportError(error),
  });
  const { dedupe: store, queue, telemetry } = config;
  const acceptsTokenOnly = config.jwks !== undefined;

  async function receive(input: DeliveryInput, delivery: DeliveryRecord): Promise<AcceptedStatus> {
    // With jwks configured, a JWT-only delivery may lack webhook-id / webhook-timestamp (the token stands in).
    const headers = readWebhookHeaders(input.headers, acceptsTokenOnly);
    delivery.webhookId = headers.id;
    const entries = parseSignatureHeader(headers.signature, headers.id);
    // Compressed bodies are refused, not inflated: which bytes a sender signed (sent or inflated) would be a
    // guess, and inflating untrusted input before verification invites decompression bombs.
    if (!isIdentityEncoding(input.headers["content-encoding"])) throw new WebhookError("unsupported_encoding", { webhookId: headers.id });
    const reading = input.readBody();
    const body = isThenable(reading) ? await reading : reading;
    delivery.bodyRead = true;
    const verifying = verifySignature(headers, entries, body);
    const verification = isThenable(verifying) ? await verifying : verifying;
    const id = verification.webhookId;
    delivery.webhookId = id;
    delivery.scheme = verification.scheme;
    delivery.secretIndex = verification.secretIndex;
    delivery.keyId = verification.keyId;
    // Always present for v1 and v1a; a JWT without it was checked by its own iat/exp.
    if (headers.timestamp !== undefined) checkTimestamp(headers.timestamp, config.now(), config.toleranceSeconds, id);
    delivery.report("verified");

    // Claimed only now, after verification: a forger must not be able to burn ids.
    if (store) {
      const claiming = claimOnce(store, id);
      const claim = isThenable(claiming) ? await claiming : claiming;
      if (claim === "done") return "duplicate";
      if (claim === "in-flight") throw new WebhookError("delivery_in_progress", { webhookId: id });
    }
    try {
      const event = verification.event ?? parseEvent(body, id);
      delivery.type = event.type;
      const status = queue ? await enqueue(event, verification, delivery) : await handleInline(event, verification, body, input, delivery);
      // Handled, or durably queued (by us or, for a queue duplicate, by another instance): done either way.
      const completing = store ? completeQuietly(store, id) : undefined;
      if (completing) await completing;
      return status;
    } catch (error) {
      // Not done: forget the claim so Gemini's retry is processed, not dropped as a duplicate.
      const releasing = store ? releaseQuietly(store, id) : undefined;
      if (releasing) await releasing;
      throw error;
    }
  }

  async function handleInline(
    event: AnyGeminiEvent,
    verification: Verification,
    body: Buffer,
    input: DeliveryInput,
    delivery: DeliveryRecord,
  ): Promise<AcceptedStatus> {
    const handlers = registry.handlersFor(event.type);
    if (handlers.length === 0) return "unhandled";
    const ctx: DeliveryContext = {
      webhookId: verification.webhookId,
      timestamp: verification.timestamp,
      scheme: verification.scheme,
      secretIndex: verification.secretIndex,
      keyId: verification.keyId,
      claims: verification.claims,
      rawBody: body,
      request: input.request,
    };
    try {
      const pending = runHandlers(handlers, event, ctx);
      if (pending) await pending;
    } catch (cause) {
      throw new WebhookError("handler_failed", { webhookId: verification.webhookId, eventType: event.type, cause });
    }
    return "received";
  }

  async function enqueue(event: AnyGeminiEvent, verification: Verification, delivery: DeliveryRecord): Promise<AcceptedStatus> {
    const job: QueuedDelivery = {
      event,
      context: {
        webhookId: verification.webhookId,
        timestamp: verification.timestamp,
        scheme: verification.scheme,
        secretIndex: verification.secretIndex,
        keyId: verification.keyId,
        claims: verification.claims,
      },
      traceContext: delivery.trace?.carrier(),
      receivedAt: config.now(),
    };
    try {
      const result = await queue!.enqueue(job);
      return result === "duplicate" ? "duplicate" : "queued";
    } catch (cause) {
      // Nothing was acknowledged: a 503 makes Gemini retry; never a 2xx for a job the queue did not store.
      throw new WebhookError("queue_unavailable", { webhookId: verification.webhookId, eventType: event.type, cause });
    }
  }

  // The store calls below are sync-first: a store that answers synchronously (the memory store) costs no
  // promise and no async hop; a promise (Redis) is awaited.
  function claimOnce(dedupe: DedupeStore, id: string): ClaimResult | Promise<ClaimResult> {
    const unavailable = (cause: unknown) => new WebhookError("store_unavailable", { webhookId: id, cause });
    try {
      const result = dedupe.claim(id);
      return isThenable(result)
        ? Promise.resolve(result).catch((cause: unknown) => {
            throw unavailable(cause);
          })
        : result;
    } catch (cause) {
      throw unavailable(cause);
    }
  }

  // The handlers ran (or the job is stored): answering 5xx now would make them run again, so a store
  // failure is only reported.
  function completeQuietly(dedupe: DedupeStore, id: string): void | Promise<void> {
    const report = (cause: unknown) =>
      listeners.reportError(new WebhookError("store_unavailable", { webhookId: id, cause, detail: "could not mark the delivery done" }));
    try {
      const result = dedupe.complete(id);
      if (isThenable(result)) return Promise.resolve(result).then(undefined, report);
    } catch (cause) {
      report(cause);
    }
  }

  // An unreleased claim expires on its own (the store's in-flight TTL); report and move on.
  function releaseQuietly(dedupe: DedupeStore, id: string): void | Promise<void> {
    const report = (cause: unknown) =>
      listeners.reportError(new WebhookError("store_unavailable", { webhookId: id, cause, detail: "could not release the claim" }));
    try {
      const result = dedupe.release(id);
      if (isThenable(result)) return Promise.resolve(result).then(undefined, report);
    } catch (cause) {
      report(cause);
    }
  }

  return async function handle(input: DeliveryInput): Promise<Answer> {
    const delivery = new DeliveryRecord(listeners, startTrace(telemetry));
    delivery.report("received");
    try {
      // The whole pipeline runs in the delivery's trace context: spans made while reading the body, by the
      // dedupe store (Redis), the key set fetch, the handlers or the queue are all children of its span.
      const status = await (delivery.trace ? delivery.trace.run(() => receive(input, delivery)) : receive(input, delivery));
      const answer = acceptedAnswer(status);
      delivery.finish(status === "duplicate" ? "duplicate" : status === "queued" ? "queued" : "handled", answer.status);
      return answer;
    } catch (caught) {
      const error = isWebhookError(caught)
        ? caught
        : new WebhookError("handler_failed", { webhookId: delivery.webhookId, eventType: delivery.type, cause: caught });
      delivery.fail(error);
      listeners.reportError(error);
      const answer = errorAnswer(error);
      // Refused before the body was read (or while reading it): a client dripping the rest must not keep the socket.
      return delivery.bodyRead ? answer : closing(answer);
    }
  };
}

function startTrace(telemetry: ReceiverConfig["telemetry"]) {
  if (!telemetry) return undefined;
  try {
    return telemetry.startDelivery();
  } catch {
    return undefined; // a telemetry backend's failure must not refuse a delivery
  }
}

function isIdentityEncoding(header: string | undefined): boolean {
  if (header === undefined) return true;
  return header.split(",").every((coding) => {
    const name = coding.trim().toLowerCase();
    return name === "" || name === "identity";
  });
}

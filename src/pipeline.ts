import type { IncomingHttpHeaders } from "node:http";
import { acceptedAnswer, closing, errorAnswer, type AcceptedStatus, type Answer } from "./answer.js";
import type { DeliveryContext } from "./context.js";
import type { AnyGeminiEvent } from "./events.js";
import type { CryptoProvider } from "./crypto/provider.js";
import { createDedupeClaims } from "./dedupe/claims.js";
import { oncePerCompletion, sourceOf } from "./dedupe/completion-key.js";
import { isThenable, andThen } from "./maybe-promise.js";
import { dispatchInline, type HandlerRegistry } from "./dispatch.js";
import { WebhookError, isWebhookError } from "./errors.js";
import { DeliveryRecord, type Listeners } from "./listeners.js";
import type { ReceiverConfig } from "./options.js";
import { parseEvent } from "./parse.js";
import { normalizeUserMetadata } from "./user-metadata.js";
import { handOff } from "./queue/handoff.js";
import { createJobOwner } from "./queue/job-owner.js";
import { readWebhookHeaders } from "./verify/headers.js";
import { createSignatureVerifier, type Verification } from "./verify/index.js";
import { parseSignatureHeader } from "./verify/signature-list.js";
import { checkTimestamp } from "./verify/timestamp.js";

/** One delivery as any adapter (Express, Web `Request`, Fastify) hands it to the pipeline. */
export interface DeliveryInput {
  /** Request headers by lower-case name, as Node gives them. */
  readonly headers: IncomingHttpHeaders;
  /**
   * Reads the exact body bytes with the adapter's limits (size, time), throwing a `WebhookError` when one is hit.
   * Called at most once, only after the headers passed: a request refused earlier never costs a read.
   */
  readBody(): Uint8Array | Promise<Uint8Array>;
  /** What handlers see as `ctx.request`. */
  readonly request: DeliveryContext["request"];
}

/**
 * Takes one delivery through verification, the dedupe claim and dispatch; never rejects (nor throws).
 * Synchronous when every step is (a kept body, `v1`, the memory store, synchronous handlers): no promise, no hop.
 */
export type Pipeline = (input: DeliveryInput) => Answer | Promise<Answer>;

/**
 * The whole receiver, free of any framework: headers → encoding → signature header → body → signature →
 * timestamp → claim → parse → handlers (or the queue) → complete/release → answer.
 *
 * Sync-first: each step may return a value or a promise, and the next step runs at once on a value (`then`
 * below). An `async` pipeline cost every delivery its promises and microtask hops even when nothing waited.
 */
export function createPipeline(
  config: ReceiverConfig,
  registry: HandlerRegistry,
  listeners: Listeners,
  crypto: CryptoProvider,
): Pipeline {
  const verifySignature = createSignatureVerifier({
    secrets: config.secrets,
    crypto,
    jwks: config.jwks,
    toleranceSeconds: config.toleranceSeconds,
    now: config.now,
    reportKeyFailure: (error) => listeners.reportError(error),
  });
  const { queue, telemetry } = config;
  const jobOwner = queue ? createJobOwner(config, crypto) : undefined;
  const claims = config.dedupe ? createDedupeClaims(config.dedupe, (error) => listeners.reportError(error)) : undefined;
  const acceptsTokenOnly = config.jwks !== undefined;

  /** Up to the body: everything that can refuse a request before a byte of it is read. */
  function receive(input: DeliveryInput, delivery: DeliveryRecord): AcceptedStatus | Promise<AcceptedStatus> {
    // With jwks configured, a JWT-only delivery may lack webhook-id / webhook-timestamp (the token stands in).
    const headers = readWebhookHeaders(input.headers, acceptsTokenOnly);
    delivery.webhookId = headers.id;
    const entries = parseSignatureHeader(headers.signature, headers.id);
    // Compressed bodies are refused, not inflated: which bytes a sender signed (sent or inflated) would be a
    // guess, and inflating untrusted input before verification invites decompression bombs.
    if (!isIdentityEncoding(input.headers["content-encoding"]))
      throw new WebhookError("unsupported_encoding", { webhookId: headers.id });
    // A declared size over the limit is refused before any adapter reads a byte (the adapters still stop a body
    // that crosses the limit while streaming, whatever it declared).
    const declared = input.headers["content-length"];
    if (declared !== undefined && Number(declared) > config.maxBodyBytes) {
      throw new WebhookError("payload_too_large", { webhookId: headers.id, detail: `content-length ${declared}` });
    }
    return andThen(input.readBody(), (body) => {
      delivery.bodyRead = true;
      return andThen(verifySignature(headers, entries, body), (verification) =>
        verified(input, delivery, headers.timestamp, body, verification),
      );
    });
  }

  /** After the signature: the timestamp, then the claim. */
  function verified(
    input: DeliveryInput,
    delivery: DeliveryRecord,
    timestamp: number | undefined,
    body: Uint8Array,
    verification: Verification,
  ): AcceptedStatus | Promise<AcceptedStatus> {
    const id = verification.webhookId;
    delivery.verified(verification);
    // Always present for v1 and v1a; a JWT without it was checked by its own iat/exp.
    if (timestamp !== undefined) checkTimestamp(timestamp, config.now(), config.toleranceSeconds, id);
    delivery.report("verified");
    // Claimed only now, after verification: a forger must not be able to burn ids.
    if (!claims) return handle(input, delivery, body, verification);
    return andThen(claims.claim(id), (claim) => {
      if (claim === "done") return "duplicate";
      if (claim === "in-flight") throw new WebhookError("delivery_in_progress", { webhookId: id });
      return handle(input, delivery, body, verification);
    });
  }

  /** The claimed delivery: parse, handlers (or the queue), then complete, or release on any failure. */
  function handle(
    input: DeliveryInput,
    delivery: DeliveryRecord,
    body: Uint8Array,
    verification: Verification,
  ): AcceptedStatus | Promise<AcceptedStatus> {
    const id = verification.webhookId;
    let handling: AcceptedStatus | Promise<AcceptedStatus>;
    try {
      // user_metadata in one place (top level), wherever the delivery carried it.
      const event = normalizeUserMetadata(verification.event ?? parseEvent(body, id));
      delivery.type = event.type;
      // With oncePerCompletion, a completion already handled under another webhook-id (a catch-up, or Gemini's
      // late retry) runs nothing. Without it (the default), no closure is made for the delivery.
      handling =
        config.oncePerCompletion && claims
          ? oncePerCompletion(claims, event, id, () => run(input, delivery, body, verification, event))
          : run(input, delivery, body, verification, event);
    } catch (error) {
      return released(id, error);
    }
    // Handled, or durably queued (by us or, for a queue duplicate, by another instance): done either way.
    if (!isThenable(handling)) return completed(id, handling);
    return handling.then(
      (status) => completed(id, status),
      (error: unknown) => released(id, error),
    );
  }

  /** The handlers, or the queue. */
  function run(
    input: DeliveryInput,
    delivery: DeliveryRecord,
    body: Uint8Array,
    verification: Verification,
    event: AnyGeminiEvent,
  ): AcceptedStatus | Promise<AcceptedStatus> {
    return queue
      ? handOff(queue, jobOwner!, event, verification, body, delivery.trace, config.now())
      : dispatchInline(registry.handlersFor(event.type), event, contextOf(verification, body, input));
  }

  function completed(id: string, status: AcceptedStatus): AcceptedStatus | Promise<AcceptedStatus> {
    const completing = claims?.complete(id);
    return completing ? completing.then(() => status) : status;
  }

  /** Not done: forget the claim so Gemini's retry is processed, not dropped as a duplicate; then fail. */
  function released(id: string, error: unknown): never | Promise<never> {
    const releasing = claims?.release(id);
    if (!releasing) throw error;
    return releasing.then(() => {
      throw error;
    });
  }

  function answered(delivery: DeliveryRecord, status: AcceptedStatus): Answer {
    const answer = acceptedAnswer(status);
    delivery.finish(status === "duplicate" ? "duplicate" : status === "queued" ? "queued" : "handled", answer.status);
    return answer;
  }

  function refused(delivery: DeliveryRecord, caught: unknown): Answer {
    const error = isWebhookError(caught)
      ? caught
      : new WebhookError("handler_failed", { webhookId: delivery.webhookId, eventType: delivery.type, cause: caught });
    delivery.fail(error);
    listeners.reportError(error);
    const answer = errorAnswer(error);
    // Refused before the body was read (or while reading it): a client dripping the rest must not keep the socket.
    return delivery.bodyRead ? answer : closing(answer);
  }

  return function pipeline(input: DeliveryInput): Answer | Promise<Answer> {
    const delivery = new DeliveryRecord(listeners, startTrace(telemetry));
    delivery.report("received");
    let status: AcceptedStatus | Promise<AcceptedStatus>;
    try {
      // The whole pipeline runs in the delivery's trace context: spans made while reading the body, by the
      // dedupe store (Redis), the key set fetch, the handlers or the queue are all children of its span.
      status = delivery.trace ? delivery.trace.run(() => receive(input, delivery)) : receive(input, delivery);
    } catch (caught) {
      return refused(delivery, caught);
    }
    if (!isThenable(status)) return answered(delivery, status);
    return status.then(
      (accepted) => answered(delivery, accepted),
      (caught: unknown) => refused(delivery, caught),
    );
  };
}

// verifiedContext()'s fields plus the body and request, as one literal (no intermediate object to spread):
// built for every delivery.
function contextOf(verification: Verification, body: Uint8Array, input: DeliveryInput): DeliveryContext {
  return {
    webhookId: verification.webhookId,
    source: sourceOf(verification.webhookId),
    timestamp: verification.timestamp,
    scheme: verification.scheme,
    secretIndex: verification.secretIndex,
    keyId: verification.keyId,
    claims: verification.claims,
    rawBody: body,
    request: input.request,
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

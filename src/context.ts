import type { IncomingMessage } from "node:http";
import type { JWTPayload } from "jose";
import type { DeliverySource } from "./dedupe/completion-key.js";
import type { SignatureScheme } from "./verify/index.js";

/** What the signature proved about a delivery: serializable, so a queued job carries it to a worker as is. */
export interface VerifiedContext {
  /**
   * `webhook-id`: the same on every retry of this delivery. Use it as your idempotency key too.
   * (A JWT delivery without that header: the token's `jti`.)
   */
  webhookId: string;
  /**
   * `webhook-timestamp` of this attempt, in Unix seconds (a retry has a newer one). A JWT delivery
   * without that header: the token's `iat`, else the time it was received.
   */
  timestamp: number;
  /** The signature scheme that verified it: `v1` (static, HMAC), `v1a` (dynamic, Ed25519) or `jwt` (dynamic). */
  scheme: SignatureScheme;
  /** `v1` only: which configured secret matched, as an index into the `secret` list (0 = the first). */
  secretIndex?: number;
  /**
   * Dynamic webhooks: which key verified it. `v1a`: the key's `kid`, or its RFC 7638 thumbprint when the
   * key set gives none. JWT: the token's `kid` header, when present.
   */
  keyId?: string;
  /** JWT only: the verified claims (`aud`, `iss`, `iat`, ... and whatever else the token carries). */
  claims?: JWTPayload;
}

/** What a handler knows about the delivery besides the event itself. */
export interface DeliveryContext extends VerifiedContext {
  /**
   * `"catch-up"` for a completion recovered by `catchUp()` / `gemini-webhooks catch-up` (its data is what the API
   * returned: see docs/when-deliveries-stop.md), `"delivery"` for Gemini's own. Read from the signed webhook-id.
   */
  source: DeliverySource;
  /**
   * The exact bytes that were verified (in a queue worker too: the job carries them). A Node `Buffer` under
   * Express, Fastify and `webhooks.fetch` on Node (a Buffer is a Uint8Array); a plain `Uint8Array` from the Web
   * entry (workerd, Vercel Edge, Deno, Bun). `new TextDecoder().decode(ctx.rawBody)` reads it anywhere.
   */
  rawBody: Uint8Array;
  /**
   * The HTTP request: an Express `Request` (a Node `IncomingMessage`) under `app.use(webhooks)` and Fastify's
   * `request.raw`, the Web `Request` under `webhooks.fetch`. Absent in a queue worker (`webhooks.work()`),
   * where the request is long gone: keep handlers to the event and the fields above.
   */
  request?: IncomingMessage | Request;
  /**
   * Queue workers only: which attempt this is, 1-based (a handler that throws is retried with backoff).
   * Absent inline, where Gemini's own retries are not numbered.
   */
  attempt?: number;
  /** Queue workers only: how many attempts will be made in all (`attempt === maxAttempts` is the last). */
  maxAttempts?: number;
}

/** The serializable part of a verification (everything but the event it may carry). */
export function verifiedContext(verification: VerifiedContext): VerifiedContext {
  return {
    webhookId: verification.webhookId,
    timestamp: verification.timestamp,
    scheme: verification.scheme,
    secretIndex: verification.secretIndex,
    keyId: verification.keyId,
    claims: verification.claims,
  };
}

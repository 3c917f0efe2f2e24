import { Webhook } from "standardwebhooks";
import { assertUsableSecret } from "../verify/secret.js";
import { deliveryHeaders, deliveryParts, type DeliveryOptions, type SignedDelivery } from "./delivery.js";

/** Options of `signDelivery`. */
export interface SignDeliveryOptions extends DeliveryOptions {
  /** The static signing secret (`whsec_...`; the prefix is optional), the same one the receiver is given. */
  secret: string;
}

/**
 * Signs `event` as a static (`v1`, HMAC-SHA256) Gemini delivery. `event` is an object (sent as
 * `JSON.stringify(event)`) or the exact body (a string or a Buffer).
 *
 * ```ts
 * const { headers, body } = signDelivery(sampleEvent("batch.succeeded"), { secret });
 * await fetch(url, { method: "POST", headers, body });
 * ```
 */
export function signDelivery(event: unknown, options: SignDeliveryOptions): SignedDelivery {
  if (options === null || typeof options !== "object")
    throw new TypeError("signDelivery(event, { secret }): options are required.");
  assertUsableSecret(options.secret, "secret");
  const parts = deliveryParts(event, options);
  // Signed with standardwebhooks, the reference implementation, independently of the receiver's node:crypto
  // HMAC, so each checks the other. The body is text here, which is what standardwebhooks signs.
  const signature = new Webhook(options.secret).sign(parts.id, new Date(parts.timestamp * 1000), parts.body);
  return { headers: deliveryHeaders(parts, signature), body: parts.body };
}

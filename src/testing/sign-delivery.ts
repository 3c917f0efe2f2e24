import { createHmac } from "node:crypto";
import { assertUsableSecret } from "../verify/hmac.js";
import { deliveryHeaders, deliveryParts, signedContent, type DeliveryOptions, type SignedDelivery } from "./delivery.js";

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
  if (options === null || typeof options !== "object") throw new TypeError("signDelivery(event, { secret }): options are required.");
  assertUsableSecret(options.secret, "secret");
  const parts = deliveryParts(event, options);
  // Signed with node:crypto, independently of the receiver's standardwebhooks, so each checks the other.
  const key = Buffer.from(options.secret.replace(/^whsec_/, ""), "base64");
  const signature = createHmac("sha256", key).update(signedContent(parts)).digest("base64");
  return { headers: deliveryHeaders(parts, `v1,${signature}`), body: parts.body };
}

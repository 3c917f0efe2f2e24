import { geminiWebhooks, type GeminiWebhooks, type SignatureScheme } from "gemini-webhooks-express";
import type { DeliveryQueue } from "gemini-webhooks-express/bullmq";
import type { TestKeys } from "gemini-webhooks-express/testing";

export interface ExampleReceiver {
  webhooks: GeminiWebhooks;
  /** The signature schemes this receiver accepts. */
  schemes: SignatureScheme[];
}

/**
 * One receiver for static (v1, HMAC with `secret`) and dynamic (v1a and JWT) deliveries. Dynamic ones
 * are verified against a local test key set instead of Google's JWKS URL, so no network and no
 * Gemini account are needed. In production: `jwks: { audience: "your-audience" }` (Google's URL is the default).
 */
export function createReceiver(secret: string, keys: TestKeys, queue?: DeliveryQueue): ExampleReceiver {
  const webhooks = geminiWebhooks({ secret, jwks: { keys: keys.jwks, audience: keys.audience }, queue });
  return { webhooks, schemes: ["v1", "v1a", "jwt"] };
}

import { webCrypto } from "./crypto/web.js";
import type { UserMetadata } from "./events.js";
import type { GeminiWebhooksOptions } from "./options.js";
import type { AnyDeliveryQueue } from "./queue/queue.js";
import { createReceiver, type GeminiWebhooks } from "./receiver.js";

export * from "./exports.js";

/**
 * Creates the receiver, for Web runtimes (workerd, Vercel Edge, Deno, Bun, browsers): WebCrypto instead of
 * node:crypto, and nothing on the path of `webhooks.fetch` needs a `node:*` module, `Buffer` or `process`.
 * The same API and the same answers as the Node entry (src/index.ts).
 */
export function geminiWebhooks<M = UserMetadata, Q extends AnyDeliveryQueue = AnyDeliveryQueue>(
  options: GeminiWebhooksOptions<Q>,
): GeminiWebhooks<M, Q> {
  return createReceiver<M, Q>(options, webCrypto);
}

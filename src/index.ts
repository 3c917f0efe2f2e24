import { nodeCrypto } from "./crypto/node.js";
import type { UserMetadata } from "./events.js";
import type { GeminiWebhooksOptions } from "./options.js";
import type { AnyDeliveryQueue } from "./queue/queue.js";
import { createReceiver, type GeminiWebhooks } from "./receiver.js";

export * from "./exports.js";

/**
 * Creates the receiver: Express middleware, `webhooks.fetch` and handler registration. This is the Node entry
 * (node:crypto: `v1` is verified synchronously); Web runtimes get src/index.web.ts through the package's
 * export conditions, with the same API and the same answers. Options are checked now: a bad one throws a
 * TypeError naming it.
 */
export function geminiWebhooks<M = UserMetadata, Q extends AnyDeliveryQueue = AnyDeliveryQueue>(
  options: GeminiWebhooksOptions<Q>,
): GeminiWebhooks<M, Q> {
  return createReceiver<M, Q>(options, nodeCrypto);
}

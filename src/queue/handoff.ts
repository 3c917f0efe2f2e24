import { base64Encode } from "../bytes.js";
import { verifiedContext } from "../context.js";
import { WebhookError } from "../errors.js";
import type { AnyGeminiEvent } from "../events.js";
import type { DeliveryTrace } from "../telemetry/telemetry.js";
import type { Verification } from "../verify/index.js";
import type { JobOwner } from "./job-owner.js";
import type { DeliveryQueue, QueuedDelivery } from "./queue.js";
import { QueueUnreachableError } from "./redis-reachability.js";
import { QueueTimeoutError } from "./timeout.js";

/**
 * Hands a verified delivery to the queue. Resolves only once the queue acknowledged it; anything else is
 * `queue_unavailable` (503): never a 2xx for a job the queue did not store.
 */
export async function handOff(
  queue: DeliveryQueue,
  owner: JobOwner,
  event: AnyGeminiEvent,
  verification: Verification,
  body: Uint8Array,
  trace: DeliveryTrace | undefined,
  receivedAt: number,
): Promise<"queued" | "duplicate"> {
  const context = verifiedContext(verification);
  const delivery: QueuedDelivery = {
    event,
    context,
    rawBody: base64Encode(body),
    traceContext: trace?.carrier(),
    receivedAt,
    owner: await owner.tag(context, body),
  };
  try {
    return (await queue.enqueue(delivery)) === "duplicate" ? "duplicate" : "queued";
  } catch (cause) {
    throw new WebhookError("queue_unavailable", {
      webhookId: verification.webhookId,
      eventType: event.type,
      // The adapter's own messages name where the queue is (never credentials), for the operator's onError.
      detail: cause instanceof QueueTimeoutError || cause instanceof QueueUnreachableError ? cause.message : undefined,
      cause,
    });
  }
}

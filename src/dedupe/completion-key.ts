import { WebhookError } from "../errors.js";
import { canonicalEventType, type AnyGeminiEvent } from "../events.js";
import { andThen, isThenable, type MaybePromise } from "../maybe-promise.js";
import type { DedupeClaims } from "./claims.js";
import { resourceIdOf } from "./resource-id.js";
import { trackingKeyOfEvent } from "./tracking.js";

/**
 * A job's completion has one natural key whatever carried it: Gemini's delivery, Gemini's late retry under a
 * new webhook-id, or a catch-up delivery. Claimed in the dedupe store beside the webhook-id (under its own
 * prefix, so it can never collide with one), it makes each completion run the handlers once.
 */
export const COMPLETION_KEY_PREFIX = "completion:";

/** The webhook-id prefix of a catch-up delivery: signed with the delivery, so `ctx.source` cannot be forged. */
export const CATCH_UP_ID_PREFIX = "catchup_";

/** Where a delivery came from, read from its signed webhook-id. */
export type DeliverySource = "delivery" | "catch-up";

export function sourceOf(webhookId: string): DeliverySource {
  return webhookId.startsWith(CATCH_UP_ID_PREFIX) ? "catch-up" : "delivery";
}

/**
 * `completion:batch.succeeded:123` for a batch.succeeded event about `batches/123` (or `123`): the id is taken
 * without its collection prefix, since the API names a batch `batches/123` and a delivery may carry either form.
 * Undefined for an event with no id (nothing to match it against).
 */
export function completionKeyOf(event: AnyGeminiEvent): string | undefined {
  const type = canonicalEventType(event.type);
  if (!TERMINAL_EVENT_TYPES.has(type)) return undefined;
  const id = (event.data as { id?: unknown } | undefined)?.id;
  if (typeof id !== "string" || id === "") return undefined;
  return `${COMPLETION_KEY_PREFIX}${type}:${resourceIdOf(id)}`;
}

// Only events that end a job: `interaction.requires_action` can happen many times for one interaction, and an
// unknown type has no known meaning to deduplicate on.
const TERMINAL_EVENT_TYPES: ReadonlySet<string> = new Set([
  "batch.succeeded",
  "batch.failed",
  "batch.cancelled",
  "batch.expired",
  "interaction.completed",
  "interaction.failed",
  "interaction.cancelled",
  "video.generated",
]);

/**
 * Runs `handle` only if this completion was not handled already: a completion claimed `done` answers duplicate
 * (no handlers), one in flight answers 409 like a webhook-id in flight. The key is completed when `handle`
 * succeeds (handlers ran, or the queue stored the job) and released when it fails, so a retry runs it again.
 */
export function oncePerCompletion<S extends string>(
  claims: DedupeClaims | undefined,
  event: AnyGeminiEvent,
  webhookId: string,
  handle: () => MaybePromise<S>,
): MaybePromise<S | "duplicate"> {
  const key = claims ? completionKeyOf(event) : undefined;
  if (!claims || key === undefined) return handle();
  return andThen(claims.claim(key), (claim): MaybePromise<S | "duplicate"> => {
    if (claim === "done") return "duplicate";
    if (claim === "in-flight")
      throw new WebhookError("delivery_in_progress", { webhookId, eventType: event.type, detail: key });
    let handling: MaybePromise<S>;
    try {
      handling = handle();
    } catch (error) {
      return releaseThenThrow(claims, key, error);
    }
    if (!isThenable(handling)) return completeThenUntrack(claims, key, event, handling);
    return Promise.resolve(handling).then(
      (status) => completeThenUntrack(claims, key, event, status),
      (error: unknown) => releaseThenThrow(claims, key, error),
    );
  });
}

/** Marks the completion done and, when the store tracks jobs, stops tracking the job it ends (webhooks.track()). */
function completeThenUntrack<S>(claims: DedupeClaims, key: string, event: AnyGeminiEvent, status: S): MaybePromise<S> {
  return andThen(claims.complete(key), () => {
    if (!claims.untrack) return status;
    const trackingKey = trackingKeyOfEvent(canonicalEventType(event.type), (event.data as { id: string }).id);
    return trackingKey === undefined ? status : andThen(claims.untrack(trackingKey), () => status);
  });
}

function releaseThenThrow(claims: DedupeClaims, key: string, error: unknown): never | Promise<never> {
  const releasing = claims.release(key);
  if (!releasing) throw error;
  return releasing.then(() => {
    throw error;
  });
}

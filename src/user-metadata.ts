/**
 * `user_metadata`: what you attach to a job (`webhook_config: { uris, user_metadata }`) and Gemini
 * "returns on each event emission to the webhooks". Where it sits in a delivered payload is not published:
 * most likely at the top level beside `type` and `data` (the envelope is snake_case), possibly inside `data`.
 * Handlers read it in one place, `event.user_metadata`, wherever it arrived.
 */

/** A JSON object (not null, not an array): the only shape `user_metadata` is documented to have. */
function isJsonObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * Makes `event.user_metadata` the delivery's user metadata, wherever it arrived:
 * - a top-level own `user_metadata` is kept exactly as sent (whatever its value: a field the sender put
 *   there is never replaced);
 * - otherwise, when `event.data.user_metadata` is an object, that same object is also set as the
 *   top-level `user_metadata` (`data` is left untouched).
 *
 * Returns `event` itself (changed in place). Only own properties are read, so a polluted
 * `Object.prototype` cannot inject metadata; the metadata object is shared, not copied, so a
 * `"__proto__"` key in it stays an ordinary own key and never changes a prototype.
 */
export function normalizeUserMetadata<E extends object>(event: E): E {
  if (!isJsonObject(event) || Object.hasOwn(event, "user_metadata")) return event;
  const data = Object.hasOwn(event, "data") ? event.data : undefined;
  if (!isJsonObject(data) || !Object.hasOwn(data, "user_metadata")) return event;
  const metadata = data.user_metadata;
  if (!isJsonObject(metadata) || !Object.isExtensible(event)) return event;
  // defineProperty, not assignment: no setter anywhere on the prototype chain can intercept it.
  Object.defineProperty(event, "user_metadata", {
    value: metadata,
    enumerable: true,
    writable: true,
    configurable: true,
  });
  return event;
}

import type { AnyGeminiEvent } from "./events.js";
import { utf8Decode } from "./bytes.js";
import { WebhookError } from "./errors.js";

/** Parses a verified body. Only `type` is required: unknown fields and types pass through untouched. */
export function parseEvent(body: Uint8Array, webhookId: string): AnyGeminiEvent {
  let value: unknown;
  try {
    value = JSON.parse(utf8Decode(body));
  } catch {
    throw new WebhookError("invalid_payload", { webhookId, detail: "not JSON" });
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new WebhookError("invalid_payload", { webhookId, detail: "not a JSON object" });
  }
  const { type } = value as { type?: unknown };
  if (typeof type !== "string" || type === "") {
    throw new WebhookError("invalid_payload", { webhookId, detail: 'no string "type"' });
  }
  return value as AnyGeminiEvent;
}

import { createHash } from "node:crypto";

/**
 * webhook-id → the pg-boss job id. pg-boss ids are UUIDs and a second `send` with an id that exists adds
 * nothing, so every copy of a delivery maps to the same UUID: a name-based one (RFC 9562 version 8) from
 * SHA-256 of the queue name and the `webhook-id`, so two queues never share ids.
 */
export function pgBossJobIdFor(queueName: string, webhookId: string): string {
  const hash = createHash("sha256").update(`gemini-webhooks\0${queueName}\0${webhookId}`).digest();
  hash[6] = (hash[6]! & 0x0f) | 0x80; // version 8
  hash[8] = (hash[8]! & 0x3f) | 0x80; // RFC 9562 variant
  const hex = hash.subarray(0, 16).toString("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

import type { IncomingHttpHeaders } from "node:http";
import { WebhookError } from "../errors.js";

/** The three Standard Webhooks headers of one delivery attempt. */
export interface WebhookHeaders {
  /** `webhook-id`: the same on every retry of a message, so it is the idempotency key. */
  id: string;
  /** `webhook-timestamp` exactly as sent (it is part of the signed content). */
  timestampText: string;
  /** `webhook-timestamp` as Unix seconds. */
  timestamp: number;
  /** `webhook-signature` as sent. */
  signature: string;
}

const MAX_ID_LENGTH = 256;
// Printable ASCII without separators that would make the signed content ambiguous.
const ID_PATTERN = /^[\x21-\x7e]+$/;
// Canonical decimal only: the HMAC is computed over the parsed number, so "0" + ts would verify
// with the signature of ts although the signed text differs from the text sent.
const TIMESTAMP_PATTERN = /^(?:0|[1-9]\d{0,11})$/;

function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value.join(", ") : value;
}

export function readWebhookHeaders(headers: IncomingHttpHeaders): WebhookHeaders {
  const id = single(headers["webhook-id"]);
  const timestampText = single(headers["webhook-timestamp"]);
  const signature = single(headers["webhook-signature"]);
  if (!id || !timestampText || !signature) {
    const missing = [!id && "webhook-id", !timestampText && "webhook-timestamp", !signature && "webhook-signature"];
    throw new WebhookError("missing_headers", { webhookId: id || undefined, detail: missing.filter(Boolean).join(", ") });
  }
  if (id.length > MAX_ID_LENGTH || !ID_PATTERN.test(id)) {
    throw new WebhookError("invalid_headers", { detail: "webhook-id" });
  }
  if (!TIMESTAMP_PATTERN.test(timestampText)) {
    throw new WebhookError("invalid_headers", { webhookId: id, detail: "webhook-timestamp must be Unix seconds" });
  }
  return { id, timestampText, timestamp: Number(timestampText), signature };
}

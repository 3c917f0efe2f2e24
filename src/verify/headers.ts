import type { IncomingHttpHeaders } from "node:http";
import { WebhookError } from "../errors.js";
import { isUsableWebhookId } from "../webhook-id.js";
import { parseSignatureHeader } from "./signature-list.js";

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

/**
 * A delivery whose `webhook-signature` holds only JWTs may lack `webhook-id` and `webhook-timestamp`
 * (the docs describe the token alone): the token's `jti` and `iat`/`exp` stand in for them.
 */
export interface TokenOnlyHeaders {
  id: string | undefined;
  timestampText: string | undefined;
  timestamp: number | undefined;
  signature: string;
}

// Canonical decimal only: the HMAC is computed over the parsed number, so "0" + ts would verify
// with the signature of ts although the signed text differs from the text sent.
const TIMESTAMP_PATTERN = /^(?:0|[1-9]\d{0,11})$/;

function joinRepeatedHeader(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value.join(", ") : value;
}

/**
 * Reads and checks the three headers. With `allowTokenOnly` (dynamic webhooks configured), a
 * `webhook-signature` made only of JWTs may come without `webhook-id` and/or `webhook-timestamp`;
 * anything else still needs all three.
 */
export function readWebhookHeaders(headers: IncomingHttpHeaders): WebhookHeaders;
export function readWebhookHeaders(
  headers: IncomingHttpHeaders,
  allowTokenOnly: boolean,
): WebhookHeaders | TokenOnlyHeaders;
export function readWebhookHeaders(
  headers: IncomingHttpHeaders,
  allowTokenOnly = false,
): WebhookHeaders | TokenOnlyHeaders {
  const id = joinRepeatedHeader(headers["webhook-id"]);
  const timestampText = joinRepeatedHeader(headers["webhook-timestamp"]);
  const signature = joinRepeatedHeader(headers["webhook-signature"]);
  if (allowTokenOnly && signature && (!id || !timestampText) && onlyTokens(signature)) {
    return {
      id: id ? checkId(id) : undefined,
      timestampText: timestampText || undefined,
      timestamp: timestampText ? checkTimestampText(timestampText, id || undefined) : undefined,
      signature,
    };
  }
  if (!id || !timestampText || !signature) {
    const missing = [!id && "webhook-id", !timestampText && "webhook-timestamp", !signature && "webhook-signature"];
    throw new WebhookError("missing_headers", {
      webhookId: id && isUsableWebhookId(id) ? id : undefined,
      detail: missing.filter(Boolean).join(", "),
    });
  }
  return { id: checkId(id), timestampText, timestamp: checkTimestampText(timestampText, id), signature };
}

function checkId(id: string): string {
  if (!isUsableWebhookId(id)) throw new WebhookError("invalid_headers", { detail: "webhook-id" });
  return id;
}

function checkTimestampText(timestampText: string, id: string | undefined): number {
  if (!TIMESTAMP_PATTERN.test(timestampText)) {
    throw new WebhookError("invalid_headers", { webhookId: id, detail: "webhook-timestamp must be Unix seconds" });
  }
  return Number(timestampText);
}

function onlyTokens(signature: string): boolean {
  try {
    return parseSignatureHeader(signature).every((entry) => entry.version === "jwt");
  } catch {
    return false; // no entries at all: reported as missing headers below, as before
  }
}

import { randomUUID } from "node:crypto";

/** A signed delivery, ready to POST: `fetch(url, { method: "POST", headers, body })` or `supertest(app).post(path).set(headers).send(body)`. */
export interface SignedDelivery {
  /** `content-type`, `webhook-id`, `webhook-timestamp` and `webhook-signature`. */
  headers: Record<string, string>;
  /** The exact bytes that were signed, as text. Send them unchanged: re-serializing breaks the signature. */
  body: string;
}

/** What every signer accepts besides the event. */
export interface DeliveryOptions {
  /** `webhook-id`. Default: a new `msg_<uuid>`, like Gemini's. Reuse one to simulate a retry or a duplicate. */
  id?: string;
  /** `webhook-timestamp`, in Unix seconds (or a Date). Default: now. Move it back to simulate a stale delivery. */
  timestamp?: number | Date;
}

/** The pieces every scheme signs: `${id}.${timestamp}.${body}`. */
export interface DeliveryParts {
  id: string;
  timestamp: number;
  body: string;
}

// Unix seconds stay below this for the next 3 000 years; a bigger number is almost surely Date.now() in ms.
const MAX_UNIX_SECONDS = 1e11;

/** Fills in the id and timestamp and turns the event into the body text. */
export function deliveryParts(event: unknown, options: DeliveryOptions = {}): DeliveryParts {
  const id = options.id ?? `msg_${randomUUID()}`;
  if (typeof id !== "string" || id === "") throw new TypeError("id must be a non-empty string.");
  const timestamp = toUnixSeconds(options.timestamp);
  // A string or bytes are the body as is (to test exact bytes); anything else is serialized as JSON.
  const body =
    typeof event === "string"
      ? event
      : event instanceof Uint8Array
        ? Buffer.from(event).toString("utf8")
        : JSON.stringify(event);
  if (body === undefined) throw new TypeError("event must be a JSON-serializable value or a string body.");
  return { id, timestamp, body };
}

/** The content a Standard Webhooks signature covers. */
export function signedContent({ id, timestamp, body }: DeliveryParts): string {
  return `${id}.${timestamp}.${body}`;
}

/** The headers of a delivery carrying `signature` in `webhook-signature`. */
export function deliveryHeaders({ id, timestamp }: DeliveryParts, signature: string): Record<string, string> {
  return {
    "content-type": "application/json",
    "webhook-id": id,
    "webhook-timestamp": String(timestamp),
    "webhook-signature": signature,
  };
}

function toUnixSeconds(timestamp: DeliveryOptions["timestamp"]): number {
  if (timestamp === undefined) return Math.floor(Date.now() / 1000);
  if (timestamp instanceof Date) return Math.floor(timestamp.getTime() / 1000);
  if (typeof timestamp !== "number" || !Number.isInteger(timestamp) || timestamp < 0) {
    throw new TypeError("timestamp must be Unix seconds (a non-negative integer) or a Date.");
  }
  if (timestamp >= MAX_UNIX_SECONDS) {
    throw new TypeError("timestamp must be in Unix seconds, not milliseconds: use Math.floor(Date.now() / 1000).");
  }
  return timestamp;
}

/**
 * Every way a delivery can be refused or fail, with its HTTP status: the answers table in one place.
 * Messages are ours and static: nothing from a secret, a token or a handler's error ever reaches them.
 */
export const ANSWERS = {
  missing_headers: { status: 400, message: "The webhook-id, webhook-timestamp and webhook-signature headers are required." },
  invalid_headers: { status: 400, message: "The webhook headers are malformed." },
  invalid_payload: { status: 400, message: "The body is not a JSON object with a string \"type\"." },
  invalid_signature: { status: 401, message: "No signature in webhook-signature matches this delivery." },
  timestamp_too_old: { status: 401, message: "webhook-timestamp is older than the allowed tolerance." },
  timestamp_too_new: { status: 401, message: "webhook-timestamp is further in the future than the allowed tolerance." },
  body_timeout: { status: 408, message: "The request body did not arrive in time." },
  delivery_in_progress: { status: 409, message: "This delivery is being processed by another request; retry later." },
  payload_too_large: { status: 413, message: "The request body is larger than the configured limit." },
  unsupported_encoding: {
    status: 415,
    message: "The request body has a Content-Encoding; webhook bodies must be sent as is: the signature covers the exact bytes.",
  },
  raw_body_unavailable: {
    status: 500,
    message:
      "The request body was consumed by a body parser before the webhook receiver ran and no raw copy was kept. " +
      "Mount the receiver before express.json(), or use express.json({ verify: captureRawBody }).",
  },
  handler_failed: { status: 500, message: "The webhook handler failed; the delivery will be retried." },
  keys_unavailable: { status: 503, message: "The signing keys could not be loaded; retry later." },
  store_unavailable: { status: 503, message: "The de-duplication store is unavailable; retry later." },
  request_aborted: { status: 400, message: "The client aborted the request." },
} as const satisfies Record<string, { status: number; message: string }>;

/** A stable, machine-readable reason for a refused or failed delivery. */
export type WebhookErrorCode = keyof typeof ANSWERS;

/** Seconds a sender should wait before retrying, for the retryable answers. */
export const RETRY_AFTER_SECONDS: Partial<Record<WebhookErrorCode, number>> = {
  delivery_in_progress: 5,
  keys_unavailable: 30,
  store_unavailable: 30,
};

/** What is known about the delivery when an error happens (never a secret). */
export interface WebhookErrorDetails {
  webhookId?: string;
  eventType?: string;
  /** The original error (handler failures, store or key errors). Never sent in the response. */
  cause?: unknown;
  /** Extra detail for logs (e.g. which limit); never sent in the response. */
  detail?: string;
  /** `invalid_signature` only: the likely mistake behind a failed `v1` signature (e.g. a secret used as text). Never sent in the response. */
  hint?: string;
}

/** The error every rejection and failure is reported with, through `onError`. */
export class WebhookError extends Error {
  readonly code: WebhookErrorCode;
  readonly status: number;
  readonly webhookId?: string;
  readonly eventType?: string;
  readonly detail?: string;
  /** See `WebhookErrorDetails.hint`. */
  readonly hint?: string;

  constructor(code: WebhookErrorCode, details: WebhookErrorDetails = {}) {
    const answer = ANSWERS[code];
    super(details.detail ? `${answer.message} (${details.detail})` : answer.message, { cause: details.cause });
    this.name = "WebhookError";
    this.code = code;
    this.status = answer.status;
    this.webhookId = details.webhookId;
    this.eventType = details.eventType;
    this.detail = details.detail;
    this.hint = details.hint;
  }

  /** Seconds to put in `Retry-After`, for answers the sender should retry. */
  get retryAfterSeconds(): number | undefined {
    return RETRY_AFTER_SECONDS[this.code];
  }
}

export function isWebhookError(value: unknown): value is WebhookError {
  return value instanceof WebhookError;
}

import { isUsableWebhookId } from "./webhook-id.js";

/**
 * What the connection does after an answer: `keep` it; `close` it once the answer is sent (the body was not,
 * or not wholly, read, so the stream is in an unknown state); `destroy` it (the client is too slow or gone).
 */
export type ConnectionAfterAnswer = "keep" | "close" | "destroy";

/** One row of the answers table: everything decided per error code, in one place. */
export interface AnswerRow {
  readonly status: number;
  /** Ours and static: nothing from a secret, a token, a handler's error or the request ever reaches it. */
  readonly message: string;
  /** Seconds a sender should wait before retrying (the `Retry-After` header), for the retryable answers. */
  readonly retryAfterSeconds?: number;
  readonly connection: ConnectionAfterAnswer;
  /** The lifecycle stage (`DeliveryStage`) the delivery ends in. */
  readonly stage: "rejected" | "duplicate" | "failed";
}

/**
 * Every way a delivery can be refused or fail: the answers table. Adapters (Express, Web `Request`, Fastify)
 * only copy a row onto their response; none decides anything per code.
 */
export const ANSWERS = {
  missing_headers: {
    status: 400,
    message: "The webhook-id, webhook-timestamp and webhook-signature headers are required.",
    connection: "keep",
    stage: "rejected",
  },
  invalid_headers: {
    status: 400,
    message: "The webhook headers are malformed.",
    connection: "keep",
    stage: "rejected",
  },
  invalid_payload: {
    status: 400,
    message: 'The body is not a JSON object with a string "type".',
    connection: "keep",
    stage: "rejected",
  },
  invalid_signature: {
    status: 401,
    message: "No signature in webhook-signature matches this delivery.",
    connection: "keep",
    stage: "rejected",
  },
  timestamp_too_old: {
    status: 401,
    message: "webhook-timestamp is older than the allowed tolerance.",
    connection: "keep",
    stage: "rejected",
  },
  timestamp_too_new: {
    status: 401,
    message: "webhook-timestamp is further in the future than the allowed tolerance.",
    connection: "keep",
    stage: "rejected",
  },
  // Only the Web adapter (`webhooks.fetch`) answers this: Express passes other methods to next(), Fastify routes POST only.
  method_not_allowed: {
    status: 405,
    message: "Webhook deliveries are POST requests.",
    connection: "keep",
    stage: "rejected",
  },
  body_timeout: {
    status: 408,
    message: "The request body did not arrive in time.",
    connection: "destroy",
    stage: "rejected",
  },
  delivery_in_progress: {
    status: 409,
    message: "This delivery is being processed by another request; retry later.",
    retryAfterSeconds: 5,
    connection: "keep",
    stage: "duplicate",
  },
  payload_too_large: {
    status: 413,
    message: "The request body is larger than the configured limit.",
    connection: "close",
    stage: "rejected",
  },
  unsupported_encoding: {
    status: 415,
    message:
      "The request body has a Content-Encoding; webhook bodies must be sent as is: the signature covers the exact bytes.",
    connection: "close",
    stage: "rejected",
  },
  raw_body_unavailable: {
    status: 500,
    message:
      "The request body was consumed before the webhook receiver ran and no raw copy was kept. " +
      "Express: mount the receiver before express.json(), or use express.json({ verify: captureRawBody }). " +
      "Web Request: pass it to webhooks.fetch before anything reads its body.",
    connection: "keep",
    stage: "rejected",
  },
  // A build (e.g. `next build`) may create the receiver without the variable; a delivery never passes without it.
  secret_not_configured: {
    status: 500,
    message: "The webhook receiver has no signing secret configured; the delivery will be retried.",
    connection: "keep",
    stage: "failed",
  },
  handler_failed: {
    status: 500,
    message: "The webhook handler failed.",
    connection: "keep",
    stage: "failed",
  },
  keys_unavailable: {
    status: 503,
    message: "The signing keys could not be loaded; retry later.",
    retryAfterSeconds: 30,
    connection: "keep",
    stage: "rejected",
  },
  store_unavailable: {
    status: 503,
    message: "The de-duplication store is unavailable; retry later.",
    retryAfterSeconds: 30,
    connection: "keep",
    stage: "rejected",
  },
  // Queue workers only, never an HTTP answer: a job whose owner tag this receiver did not make (src/queue/job-owner.ts).
  job_refused: {
    status: 500,
    message: "A queued job was refused: this receiver did not queue it, or its data was changed in the queue's store.",
    connection: "keep",
    stage: "failed",
  },
  queue_unavailable: {
    status: 503,
    message: "The delivery queue is unavailable; retry later.",
    retryAfterSeconds: 10,
    connection: "keep",
    stage: "rejected",
  },
  request_aborted: {
    status: 400,
    message: "The client aborted the request.",
    connection: "destroy",
    stage: "rejected",
  },
} as const satisfies Record<string, AnswerRow>;

/** A stable, machine-readable reason for a refused or failed delivery. */
export type WebhookErrorCode = keyof typeof ANSWERS;

/** What is known about the delivery when an error happens (never a secret). */
export interface WebhookErrorDetails {
  /** Only a `webhook-id` that passed validation; anything else is dropped (it came from a stranger). */
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
    const answer: AnswerRow = ANSWERS[code];
    super(details.detail ? `${answer.message} (${details.detail})` : answer.message, { cause: details.cause });
    this.name = "WebhookError";
    this.code = code;
    this.status = answer.status;
    // Checked here too, so that no error carries a raw, unchecked id into a log line whatever path built it.
    if (details.webhookId !== undefined && isUsableWebhookId(details.webhookId)) this.webhookId = details.webhookId;
    this.eventType = details.eventType;
    this.detail = details.detail;
    this.hint = details.hint;
  }

  /** Seconds to put in `Retry-After`, for answers the sender should retry. */
  get retryAfterSeconds(): number | undefined {
    return (ANSWERS[this.code] as AnswerRow).retryAfterSeconds;
  }
}

/** Whether `value` is one of ours (internal: the pipeline wraps anything else as `handler_failed`). */
export function isWebhookError(value: unknown): value is WebhookError {
  return value instanceof WebhookError;
}

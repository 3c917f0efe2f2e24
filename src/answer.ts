import { ANSWERS, type AnswerRow, type ConnectionAfterAnswer, type WebhookError } from "./errors.js";

/** The body of a successful answer: handled (or nothing to handle), already handled, or durably queued. */
export type AcceptedStatus = "received" | "duplicate" | "unhandled" | "queued";

/** What a receiver answers, independent of any framework: adapters copy it onto their response. */
export interface Answer {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
  readonly connection: ConnectionAfterAnswer;
}

const JSON_HEADERS = Object.freeze({ "content-type": "application/json; charset=utf-8", "cache-control": "no-store" });

function freeze(status: number, body: string, connection: ConnectionAfterAnswer, retryAfter?: number): Answer {
  const headers =
    retryAfter === undefined ? JSON_HEADERS : Object.freeze({ ...JSON_HEADERS, "retry-after": String(retryAfter) });
  return Object.freeze({ status, headers, body, connection });
}

// Every answer is one of a fixed set, built once: the hot path allocates none.
const ACCEPTED: Record<AcceptedStatus, Answer> = {
  received: freeze(200, '{"status":"received"}', "keep"),
  duplicate: freeze(200, '{"status":"duplicate"}', "keep"),
  unhandled: freeze(200, '{"status":"unhandled"}', "keep"),
  // 202: stored durably, not yet handled.
  queued: freeze(202, '{"status":"queued"}', "keep"),
};

const REFUSED = Object.fromEntries(
  Object.entries(ANSWERS).map(([code, row]: [string, AnswerRow]) => [
    code,
    freeze(row.status, JSON.stringify({ error: code, message: row.message }), row.connection, row.retryAfterSeconds),
  ]),
) as Record<WebhookError["code"], Answer>;

export function acceptedAnswer(status: AcceptedStatus): Answer {
  return ACCEPTED[status];
}

/** The row of the answers table for this error: status, code and our static message only. */
export function errorAnswer(error: WebhookError): Answer {
  return REFUSED[error.code];
}

/** The same answer, but the connection is closed after it (its body was never, or not wholly, read). */
export function closing(answer: Answer): Answer {
  return answer.connection === "keep" ? { ...answer, connection: "close" } : answer;
}

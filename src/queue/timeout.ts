import { withTimeout as withDeadline } from "../timeout.js";

/** The queue's store did not acknowledge an operation in time. Found as `cause` of the 503 `queue_unavailable` error. */
export class QueueTimeoutError extends Error {
  override readonly name = "QueueTimeoutError";
  readonly operation: string;
  readonly timeoutMs: number;

  constructor(
    operation: string,
    timeoutMs: number,
    message = `bullmqQueue: Redis did not acknowledge ${operation} within ${timeoutMs} ms.`,
  ) {
    super(message);
    this.operation = operation;
    this.timeoutMs = timeoutMs;
  }
}

/**
 * Settles like `pending`, or rejects with a `QueueTimeoutError` after `timeoutMs`. The operation itself
 * is not cancelled (Redis may still apply it later); callers must be safe with that, which enqueue is:
 * a late job has the delivery's id, so Gemini's retry finds it as a duplicate instead of adding another.
 */
export function withTimeout<T>(pending: Promise<T>, timeoutMs: number, operation: string): Promise<T> {
  return withDeadline(pending, timeoutMs, () => new QueueTimeoutError(operation, timeoutMs));
}

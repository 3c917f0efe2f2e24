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

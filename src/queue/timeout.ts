import { OperationTimeoutError } from "../timeout.js";

/** The queue's store did not acknowledge an operation in time. Found as `cause` of the 503 `queue_unavailable` error. */
export class QueueTimeoutError extends OperationTimeoutError {
  override readonly name = "QueueTimeoutError";

  constructor(
    operation: string,
    timeoutMs: number,
    message = `bullmqQueue: Redis did not acknowledge ${operation} within ${timeoutMs} ms.`,
  ) {
    super(message, operation, timeoutMs);
  }
}

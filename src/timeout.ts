/**
 * An operation on an outside service (the Redis or Postgres dedupe store, a queue's store) did not settle within
 * its time limit. Each of those has its own subclass, so a report's `cause` names the service
 * (`RedisCommandTimeoutError`, `PostgresQueryTimeoutError`, `QueueTimeoutError`); all share this shape.
 */
export class OperationTimeoutError extends Error {
  override readonly name: string = "OperationTimeoutError";
  /** What was waited for, as the message names it: a Redis command, a statement, "the job". */
  readonly operation: string;
  readonly timeoutMs: number;

  constructor(message: string, operation: string, timeoutMs: number) {
    super(message);
    this.operation = operation;
    this.timeoutMs = timeoutMs;
  }
}

/**
 * Settles like `pending`, or rejects with `onTimeout()`'s error once `timeoutMs` passed first. The operation
 * itself is not cancelled (a store may still apply it later), so every caller must be safe with a late
 * success; each says why it is where it calls this.
 */
export function withTimeout<T>(pending: Promise<T>, timeoutMs: number, onTimeout: () => Error): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(onTimeout()), timeoutMs);
    pending.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}

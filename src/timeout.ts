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

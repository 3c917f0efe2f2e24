/** A value, or a promise of one: synchronous steps (the memory store, sync handlers) skip an async hop on the hot path. */
export type MaybePromise<T> = T | Promise<T>;

/** Whether a `MaybePromise` (or a handler's return value) has to be awaited: any promise-like, not only native promises. */
export function isThenable<T>(value: T | PromiseLike<T>): value is PromiseLike<T> {
  return typeof (value as PromiseLike<T> | null | undefined)?.then === "function";
}

/**
 * `value.then(step)` for a value that is often not a promise: a plain value goes to `step` at once (no promise,
 * no microtask); a promise is chained (a rejection passes through, a throw in `step` becomes one).
 */
export function andThen<T, R>(value: T | PromiseLike<T>, step: (value: T) => R | Promise<R>): R | Promise<R> {
  return isThenable(value) ? Promise.resolve(value).then(step) : step(value);
}

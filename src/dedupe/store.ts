import type { MaybePromise } from "../maybe-promise.js";

/** What a claim on a `webhook-id` found. */
export type ClaimResult =
  /** Nobody had it: the caller owns it now and must `complete` or `release` it. */
  | "claimed"
  /** Another request is processing it right now (answer 409, never 2xx: it may still fail). */
  | "in-flight"
  /** It was already handled successfully (answer 200 duplicate, don't run handlers). */
  | "done";

/**
 * Remembers which deliveries were handled, so Gemini's at-least-once retries run handlers once.
 * Every operation must be atomic across all receivers sharing the store.
 */
export interface DedupeStore {
  /** Atomically claim `id`. A claim that is never completed or released must expire on its own. */
  claim(id: string): MaybePromise<ClaimResult>;
  /** The handlers succeeded: remember `id` as done for the whole retry window. */
  complete(id: string): MaybePromise<void>;
  /** The handlers failed: forget the claim so Gemini's retry runs them again. */
  release(id: string): MaybePromise<void>;
  /**
   * How long a completed id is remembered, in ms (optional). Catch-up refuses a window reaching further back than
   * this, since a completion the store has forgotten would run its handlers again; without it, 25 h is assumed.
   */
  readonly ttlMs?: number;
}

import type { DedupeStore } from "./store.js";
import { isTrackingStore, trackedKindOf, trackingKeyOf } from "./tracking.js";

/** Options of `webhooks.track()`. */
export interface TrackOptions {
  /** When the job should have ended: catch-up leaves it alone until then. Default: overdue at once. */
  expectBy?: Date;
}

/** `webhooks.track(name, options)`: keeps a job the app waits for in the receiver's dedupe store. */
export type Track = (name: string, options?: TrackOptions) => Promise<void>;

/**
 * `webhooks.track()` for a receiver with this store. Everything that would make tracking a lie (no store, a store
 * that cannot keep jobs, completions not claimed once) is a TypeError naming the fix, at the first call.
 */
export function createTrack(store: DedupeStore | undefined, oncePerCompletion: boolean): Track {
  return async (name, options = {}) => {
    if (typeof name !== "string" || trackedKindOf(name) === undefined) {
      throw new TypeError(
        'webhooks.track(name): expected "interactions/<id>" (the id interactions.create returned, with its ' +
          'collection) or "models/<model>/operations/<id>" (a video operation\'s name). Batches need no tracking: ' +
          "catch-up lists them.",
      );
    }
    const expectBy = options?.expectBy;
    if (expectBy !== undefined && !(expectBy instanceof Date && !Number.isNaN(expectBy.getTime())))
      throw new TypeError("webhooks.track(name, { expectBy }): expectBy must be a valid Date.");
    if (!store) {
      throw new TypeError(
        "webhooks.track(): the receiver has no dedupe store (dedupe: false), so there is nowhere to keep tracked " +
          "jobs. Give it one: geminiWebhooks({ secret, dedupe: redisStore({ ... }), oncePerCompletion: true }).",
      );
    }
    if (!isTrackingStore(store)) {
      throw new TypeError(
        "webhooks.track(): this dedupe store cannot keep tracked jobs (it has no track, untrack and tracked " +
          "methods). Use memoryStore, redisStore or postgresStore, or give your store the TrackingStore methods.",
      );
    }
    if (!oncePerCompletion) {
      throw new TypeError(
        "webhooks.track(): tracking needs oncePerCompletion: true, so that a tracked job's completion runs the " +
          "handlers once whether Gemini or catch-up delivers it: geminiWebhooks({ secret, dedupe, oncePerCompletion: true }).",
      );
    }
    await store.track(trackingKeyOf(name), expectBy === undefined ? { name } : { name, expectBy });
  };
}

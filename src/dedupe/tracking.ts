import type { MaybePromise } from "../maybe-promise.js";
import { resourceIdOf } from "./resource-id.js";
import type { DedupeStore } from "./store.js";

/** A job the app is waiting for, as a tracking store keeps it. */
export interface TrackedJob {
  /** As the API names it: `interactions/abc`, or `models/veo-3.0-generate-001/operations/xyz` for a video. */
  name: string;
  /** Before this, catch-up leaves the job alone (it is not overdue yet). Absent: overdue at once. */
  expectBy?: Date;
}

/**
 * The optional capability of a dedupe store to keep the jobs an app tracks (`webhooks.track()`), so they survive a
 * restart and every instance sees them. The memory, Redis and Postgres stores have it; a store of your own may add
 * it. Only the app's own code adds entries (never a request), and every entry expires after the store's `ttlMs`:
 * a tracked job that ended is handled under a completion key that outlives its entry, so catch-up never delivers a
 * completion the store has forgotten. `key` is {@link trackingKeyOf} the job's name.
 */
export interface TrackingStore {
  /** Keeps `job` under `key` (again: replaces it and restarts its expiry). */
  track(key: string, job: TrackedJob): MaybePromise<void>;
  /** Stops tracking `key` (its completion was handled, or it ended without one). Nothing tracked: a no-op. */
  untrack(key: string): MaybePromise<void>;
  /** Every job tracked and not expired. */
  tracked(): MaybePromise<TrackedJob[]>;
}

export function isTrackingStore(store: DedupeStore | undefined): store is DedupeStore & TrackingStore {
  const candidate = store as Partial<TrackingStore> | undefined;
  return (
    typeof candidate?.track === "function" &&
    typeof candidate.untrack === "function" &&
    typeof candidate.tracked === "function"
  );
}

/** What kind of job a tracked name is: catch-up looks each kind up its own way. */
export type TrackedKind = "interaction" | "video";

// One path segment of an id: printable ASCII without "/" (the API's ids are far shorter than the bound).
const SEGMENT = "[\\x21-\\x2e\\x30-\\x7e]{1,256}";
const INTERACTION_NAME = new RegExp(`^interactions/${SEGMENT}$`);
const VIDEO_OPERATION_NAME = new RegExp(`^models/${SEGMENT}/operations/${SEGMENT}$`);

/** The kind of a name `track()` accepts, or undefined for anything else. */
export function trackedKindOf(name: string): TrackedKind | undefined {
  if (INTERACTION_NAME.test(name)) return "interaction";
  if (VIDEO_OPERATION_NAME.test(name)) return "video";
  return undefined;
}

/**
 * The key a job is tracked under: its kind and its own id (`interactions/abc`, `operations/xyz`), so a delivery that
 * names the job differently (a bare id, or an operation without its model) still finds it.
 */
export function trackingKeyOf(name: string): string {
  return trackedKindOf(name) === "video" ? `operations/${resourceIdOf(name)}` : `interactions/${resourceIdOf(name)}`;
}

/** The tracking key a handled completion ends, or undefined for an event no tracked job stands for (batches). */
export function trackingKeyOfEvent(type: string, id: string): string | undefined {
  if (type.startsWith("interaction.") && type !== "interaction.requires_action")
    return `interactions/${resourceIdOf(id)}`;
  if (type === "video.generated") return `operations/${resourceIdOf(id)}`;
  return undefined;
}

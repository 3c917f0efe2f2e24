import { LRUCache } from "lru-cache";
import { positiveInteger, rejectUnknownOptions, type OptionNames } from "../option-checks.js";
import { HOUR_MS } from "../time.js";
import type { ClaimResult, DedupeStore } from "./store.js";
import type { TrackedJob, TrackingStore } from "./tracking.js";

export interface MemoryStoreOptions {
  /** Most handled ids remembered: the newest `max` are kept, the least recently seen forgotten first. Default 100 000. */
  max?: number;
  /** How long a handled id is remembered, in ms. Default 25 h: Gemini retries for 24 h. */
  ttlMs?: number;
  /** How long a claim may stay in flight before it expires on its own, in ms. Default 60 000. */
  inFlightTtlMs?: number;
  /** Most jobs tracked at once (`webhooks.track()`): one more is refused, never an older one dropped. Default 10 000. */
  maxTracked?: number;
  /** The clock TTLs are measured with, in ms (positive, any origin, e.g. `Date.now`). Default `performance.now`. For tests. */
  now?: () => number;
}

const OPTION_NAMES: OptionNames<MemoryStoreOptions> = {
  max: true,
  ttlMs: true,
  inFlightTtlMs: true,
  maxTracked: true,
  now: true,
};

/** The memory store: a `DedupeStore` that answers synchronously and keeps tracked jobs in this process. */
export interface MemoryDedupeStore extends DedupeStore, TrackingStore {
  readonly ttlMs: number;
  track(key: string, job: TrackedJob): void;
  untrack(key: string): void;
  tracked(): TrackedJob[];
}

/**
 * The default store: one process's memory. It forgets on restart and is not shared between instances; use the
 * Redis or Postgres store behind a load balancer.
 *
 * Handled ids live in an `lru-cache` bounded by `max`, each with its own TTL (checked when read: no timer per
 * entry). Claims in flight live apart, in a Map that is never evicted by size: evicting one would let a copy of a
 * delivery run its handlers while the first run is still going. They are bounded by how many deliveries are being
 * handled at once (a claim needs a verified signature) and each expires after `inFlightTtlMs`.
 */
export function memoryStore(options: MemoryStoreOptions = {}): MemoryDedupeStore {
  if (options === null || typeof options !== "object") {
    throw new TypeError("memoryStore(options): options must be an object, e.g. { max: 100_000 }, or left out.");
  }
  // A misspelt option (e.g. "ttl") would otherwise be ignored, silently keeping the default.
  rejectUnknownOptions(options, OPTION_NAMES, "memoryStore");
  const max = positiveInteger(options.max ?? 100_000, "max", "memoryStore");
  const ttlMs = positiveInteger(options.ttlMs ?? 25 * HOUR_MS, "ttlMs", "memoryStore");
  const inFlightTtlMs = positiveInteger(options.inFlightTtlMs ?? 60_000, "inFlightTtlMs", "memoryStore");
  const maxTracked = positiveInteger(options.maxTracked ?? 10_000, "maxTracked", "memoryStore");
  const now = options.now === undefined ? () => performance.now() : checkClock(options.now);

  // ttlResolution 0: every TTL check reads the clock (exact, and no timer at all).
  const done = new LRUCache<string, true>({ max, ttl: ttlMs, ttlResolution: 0, perf: { now } });
  /** id → when its claim expires (`now()` ms). */
  const inFlight = new Map<string, number>();
  let sweepAbove = 1024;
  /** Tracked jobs by key, each with when it expires (`now()` ms). Only the app adds them, up to `maxTracked`. */
  const trackedJobs = new Map<string, { job: TrackedJob; expiresAt: number }>();

  function dropExpiredTracked(at: number): void {
    for (const [key, entry] of trackedJobs) if (entry.expiresAt <= at) trackedJobs.delete(key);
  }

  /** Drops expired claims once the Map has grown, so claims that were never completed cannot pile up. */
  function sweep(at: number): void {
    if (inFlight.size < sweepAbove) return;
    for (const [id, expiresAt] of inFlight) if (expiresAt <= at) inFlight.delete(id);
    sweepAbove = Math.max(1024, inFlight.size * 2);
  }

  function claimedNow(id: string, at: number): boolean {
    const expiresAt = inFlight.get(id);
    if (expiresAt === undefined) return false;
    if (expiresAt > at) return true;
    inFlight.delete(id);
    return false;
  }

  return {
    claim(id: string): ClaimResult {
      const at = now();
      if (done.has(id)) return "done";
      if (claimedNow(id, at)) return "in-flight";
      sweep(at);
      inFlight.set(id, at + inFlightTtlMs);
      return "claimed";
    },
    complete(id: string): void {
      inFlight.delete(id);
      done.set(id, true);
    },
    release(id: string): void {
      inFlight.delete(id);
    },
    ttlMs,
    track(key: string, job: TrackedJob): void {
      const at = now();
      if (!trackedJobs.has(key) && trackedJobs.size >= maxTracked) dropExpiredTracked(at);
      // Refused rather than evicting the oldest: a job dropped silently is a completion nobody looks for.
      if (!trackedJobs.has(key) && trackedJobs.size >= maxTracked) {
        throw new RangeError(
          `memoryStore: ${maxTracked} jobs are tracked already (option maxTracked). Raise maxTracked, or use ` +
            "redisStore or postgresStore, which keep tracked jobs until they expire.",
        );
      }
      trackedJobs.set(key, { job: { ...job }, expiresAt: at + ttlMs });
    },
    untrack(key: string): void {
      trackedJobs.delete(key);
    },
    tracked(): TrackedJob[] {
      dropExpiredTracked(now());
      return [...trackedJobs.values()].map(({ job }) => ({ ...job }));
    },
  };
}

function checkClock(now: unknown): () => number {
  if (typeof now !== "function") throw new TypeError('memoryStore: option "now" must be a function returning ms.');
  return now as () => number;
}

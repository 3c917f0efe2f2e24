import { LRUCache } from "lru-cache";
import { positiveInteger, rejectUnknownOptions } from "../option-checks.js";
import type { ClaimResult, DedupeStore } from "./store.js";

const HOUR_MS = 60 * 60 * 1000;

export interface MemoryStoreOptions {
  /** Most ids remembered; the least recently used are forgotten first. Default 100 000. */
  max?: number;
  /** How long a handled id is remembered, in ms. Default 25 h: Gemini retries for 24 h. */
  ttlMs?: number;
  /** How long a claim may stay in flight before it expires on its own, in ms. Default 60 000. */
  inFlightTtlMs?: number;
  /** The clock TTLs are measured with, in ms (positive, any origin, e.g. `Date.now`). Default `performance.now`. For tests. */
  now?: () => number;
}

type State = "in-flight" | "done";

const KNOWN_OPTIONS = new Set<string>(["max", "ttlMs", "inFlightTtlMs", "now"]);

/**
 * The default store: one process's memory, bounded by `max`. It forgets on restart and is not shared
 * between instances; use the Redis store behind a load balancer.
 */
export function memoryStore(options: MemoryStoreOptions = {}): DedupeStore {
  if (options === null || typeof options !== "object") {
    throw new TypeError("memoryStore(options): options must be an object, e.g. { max: 100_000 }, or left out.");
  }
  // A misspelt option (e.g. "ttl") would otherwise be ignored, silently keeping the default.
  rejectUnknownOptions(options, KNOWN_OPTIONS, "memoryStore");
  const max = positiveInteger(options.max ?? 100_000, "max", "memoryStore");
  const ttlMs = positiveInteger(options.ttlMs ?? 25 * HOUR_MS, "ttlMs", "memoryStore");
  const inFlightTtlMs = positiveInteger(options.inFlightTtlMs ?? 60_000, "inFlightTtlMs", "memoryStore");
  // No ttlAutopurge: expired entries are dropped lazily on read or by LRU eviction (a timer per entry is costly).
  const clock = options.now === undefined ? undefined : checkClock(options.now);
  // An injected clock is read on every check: lru-cache's default 1 ms time cache would hide a jump.
  const states = new LRUCache<string, State>(
    clock ? { max, ttl: ttlMs, perf: { now: clock }, ttlResolution: 0 } : { max, ttl: ttlMs },
  );

  return {
    claim(id: string): ClaimResult {
      const state = states.get(id);
      if (state !== undefined) return state;
      states.set(id, "in-flight", { ttl: inFlightTtlMs });
      return "claimed";
    },
    complete(id: string): void {
      states.set(id, "done", { ttl: ttlMs });
    },
    release(id: string): void {
      if (states.get(id) === "in-flight") states.delete(id);
    },
  };
}

function checkClock(now: unknown): () => number {
  if (typeof now !== "function") throw new TypeError('memoryStore: option "now" must be a function returning ms.');
  return now as () => number;
}

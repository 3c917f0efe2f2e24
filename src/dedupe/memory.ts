import { positiveInteger, rejectUnknownOptions } from "../option-checks.js";
import type { ClaimResult, DedupeStore } from "./store.js";

const HOUR_MS = 60 * 60 * 1000;

export interface MemoryStoreOptions {
  /**
   * Most ids remembered (rounded up to an even number). Ids are forgotten oldest first, half of them at a time:
   * the most recent `max / 2` are always remembered. Default 100 000.
   */
  max?: number;
  /** How long a handled id is remembered, in ms. Default 25 h: Gemini retries for 24 h. */
  ttlMs?: number;
  /** How long a claim may stay in flight before it expires on its own, in ms. Default 60 000. */
  inFlightTtlMs?: number;
  /** The clock TTLs are measured with, in ms (positive, any origin, e.g. `Date.now`). Default `performance.now`. For tests. */
  now?: () => number;
}

const KNOWN_OPTIONS = new Set<string>(["max", "ttlMs", "inFlightTtlMs", "now"]);

/**
 * One generation of remembered ids: id → when its entry expires, in ms after the generation's `origin`,
 * positive when the id is done, negative while it is in flight. Small integers are stored inline in the
 * Map (no object per entry): one Map slot plus the id string itself is all an id costs.
 */
interface Generation {
  readonly origin: number;
  readonly entries: Map<string, number>;
}

/**
 * The default store: one process's memory, bounded by `max`. It forgets on restart and is not shared
 * between instances; use the Redis store behind a load balancer.
 *
 * Two generations instead of one cache with per-entry bookkeeping: ids go into the current generation;
 * once it holds `max / 2` ids, or is older than `ttlMs`, it becomes the previous one and the old previous
 * one is dropped whole (no per-entry eviction, no list to maintain). Every entry still carries its own
 * expiry, checked when it is read, so TTLs are exact. A generation dropped for its age holds only expired
 * entries: each was written while it was current, so it expired at most `ttlMs` after its successor began.
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
  const now = options.now === undefined ? () => performance.now() : checkClock(options.now);
  const generationSize = Math.ceil(max / 2);
  // A generation is retired once older than the longest TTL, so the one it replaces holds nothing live.
  const generationLifetime = Math.max(ttlMs, inFlightTtlMs);

  let current: Generation = { origin: now(), entries: new Map() };
  let previous: Generation | undefined;

  /** The id's state now, dropping an expired entry on the way. */
  function lookup(id: string, at: number): ClaimResult | undefined {
    return stateIn(current, id, at) ?? (previous && stateIn(previous, id, at));
  }

  /**
   * Writes into the current generation (rotating first if it is full or old), and out of the previous one
   * unless `absentBefore` (the caller has just seen the id in neither generation).
   */
  function write(id: string, at: number, state: "done" | "in-flight", ttl: number, absentBefore = false): void {
    let entries = current.entries;
    if (at - current.origin >= generationLifetime || (entries.size >= generationSize && !entries.has(id))) {
      previous = current;
      current = { origin: at, entries: (entries = new Map()) };
    }
    // A whole number of ms (rounded up): a fraction would make V8 box the number, an object per entry.
    const expiresIn = Math.max(1, Math.ceil(at - current.origin + ttl));
    const size = entries.size;
    entries.set(id, state === "done" ? expiresIn : -expiresIn);
    // An id lives in one generation at most: only a new entry here (not an update) can have one to drop there.
    if (entries.size !== size && !absentBefore) previous?.entries.delete(id);
  }

  return {
    claim(id: string): ClaimResult {
      const at = now();
      const state = lookup(id, at);
      if (state !== undefined) return state;
      write(id, at, "in-flight", inFlightTtlMs, true);
      return "claimed";
    },
    complete(id: string): void {
      write(id, now(), "done", ttlMs);
    },
    release(id: string): void {
      const at = now();
      if (lookup(id, at) !== "in-flight") return;
      current.entries.delete(id);
      previous?.entries.delete(id);
    },
  };
}

function stateIn(generation: Generation, id: string, at: number): ClaimResult | undefined {
  const value = generation.entries.get(id);
  if (value === undefined) return undefined;
  if (Math.abs(value) > at - generation.origin) return value > 0 ? "done" : "in-flight";
  generation.entries.delete(id);
  return undefined;
}

function checkClock(now: unknown): () => number {
  if (typeof now !== "function") throw new TypeError('memoryStore: option "now" must be a function returning ms.');
  return now as () => number;
}

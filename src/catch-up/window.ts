/**
 * `--since 48h` / `since: "48h"` or an ISO time → a Date. Relative spans are hours or days only: catch-up is
 * about Gemini's 24-hour retry window and the days after it, and a bare number's unit would be a guess.
 */
export function parseSince(value: string | Date, now: number = Date.now()): Date {
  if (value instanceof Date) {
    if (Number.isNaN(value.getTime())) throw new TypeError("since: an invalid Date.");
    return value;
  }
  const span = spanMs(value);
  if (span !== undefined) return new Date(now - span);
  // An ISO 8601 date-time with a zone (Z or ±hh:mm): a local time would depend on where the job runs.
  if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/.test(value.trim())) {
    const date = new Date(value.trim());
    if (!Number.isNaN(date.getTime())) return date;
  }
  throw new TypeError(
    'since: expected a span such as "48h" or "3d", or an ISO time with a zone such as "2026-01-22T00:00:00Z".',
  );
}

/** What a receiver's dedupe store remembers by default (memoryStore, redisStore, postgresStore): 25 hours. */
export const DEFAULT_STORE_TTL_MS = 25 * 3600 * 1000;

/**
 * How far back `since` reaches beyond what the store remembers, in ms, or 0 when it does not: a completion that
 * ended before `now - storeTtlMs` may have been handled under a key the store has forgotten, so delivering it
 * again would run its handlers twice.
 */
export function overreach(since: Date, now: number, storeTtlMs: number): number {
  return Math.max(0, now - storeTtlMs - since.getTime());
}

/** `90000000` → `25h`; a span that is not whole hours is rounded down (the safe side for a window). */
export function hoursText(ms: number): string {
  return `${Math.floor(ms / 3_600_000)}h`;
}

/** `48h` → 172 800 000, `3d` → 259 200 000; undefined for anything else (hours or days only, as in parseSince). */
export function spanMs(value: string): number | undefined {
  const relative = /^(\d{1,4})(h|d)$/.exec(value.trim());
  if (!relative) return undefined;
  return Number(relative[1]) * (relative[2] === "d" ? 24 : 1) * 3600 * 1000;
}

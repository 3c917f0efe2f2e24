/**
 * `--since 48h` / `since: "48h"` or an ISO time → a Date. Relative spans are hours or days only: catch-up is
 * about Gemini's 24-hour retry window and the days after it, and a bare number's unit would be a guess.
 */
export function parseSince(value: string | Date, now: number = Date.now()): Date {
  if (value instanceof Date) {
    if (Number.isNaN(value.getTime())) throw new TypeError("since: an invalid Date.");
    return value;
  }
  const relative = /^(\d{1,4})(h|d)$/.exec(value.trim());
  if (relative) {
    const hours = Number(relative[1]) * (relative[2] === "d" ? 24 : 1);
    return new Date(now - hours * 3600 * 1000);
  }
  // An ISO 8601 date-time with a zone (Z or ±hh:mm): a local time would depend on where the job runs.
  if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/.test(value.trim())) {
    const date = new Date(value.trim());
    if (!Number.isNaN(date.getTime())) return date;
  }
  throw new TypeError(
    'since: expected a span such as "48h" or "3d", or an ISO time with a zone such as "2026-01-22T00:00:00Z".',
  );
}

import { EVENT_TYPE_ALIASES, GEMINI_EVENT_TYPES } from "./events.js";

/**
 * Catches a misspelled event name at registration: `on("batch.succeded", …)` would otherwise be accepted and
 * never run. Names outside the catalog stay allowed (Gemini adds types), so this only suggests.
 */

const CATALOG_NAMES: readonly string[] = [...GEMINI_EVENT_TYPES, ...Object.keys(EVENT_TYPE_ALIASES)];

/** Two edits (a dropped, doubled, swapped or wrong letter or two) is what a typo looks like; more is a different name. */
const MAX_TYPO_DISTANCE = 2;

/** Levenshtein distance, stopping early once it exceeds `limit` (names are short). */
function editDistance(a: string, b: string, limit: number): number {
  if (Math.abs(a.length - b.length) > limit) return limit + 1;
  let previous = Array.from({ length: b.length + 1 }, (_, index) => index);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    let rowMinimum = i;
    for (let j = 1; j <= b.length; j++) {
      const substitution = previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1);
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, substitution);
      rowMinimum = Math.min(rowMinimum, current[j]!);
    }
    if (rowMinimum > limit) return limit + 1;
    previous = current;
  }
  return previous[b.length]!;
}

/** The catalog name `name` is probably a typo of, or undefined when it is in the catalog or close to none. */
export function likelyMeant(name: string): string | undefined {
  if (CATALOG_NAMES.includes(name)) return undefined;
  let best: string | undefined;
  let bestDistance = MAX_TYPO_DISTANCE + 1;
  const lowered = name.toLowerCase();
  for (const known of CATALOG_NAMES) {
    const distance = lowered === known ? 1 : editDistance(lowered, known, MAX_TYPO_DISTANCE);
    if (distance < bestDistance) [best, bestDistance] = [known, distance];
  }
  return best;
}

/** The warning for a registered name that is probably a typo (the name is the app's own code, not a request's). */
export function typoWarning(name: string, meant: string): string {
  return (
    `gemini-webhooks: webhooks.on(${JSON.stringify(name)}): no such event type in the catalog; did you mean ` +
    `${JSON.stringify(meant)}? A handler registered under a misspelled name never runs. If Gemini really ` +
    `sends ${JSON.stringify(name)}, declare it (docs/events.md, "Types outside the catalog").`
  );
}

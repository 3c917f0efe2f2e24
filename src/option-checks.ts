// The checks every option resolver shares (geminiWebhooks, memoryStore, redisStore, the CLI). Each throws
// a TypeError naming the caller and the option, e.g. `memoryStore: option "max" must be ...`, so a
// mistake is found at start-up, where it was made.

/**
 * Every option name of `Options`, as the keys of an object the compiler checks against the interface: a name added
 * to the interface and not here (or the other way round) is a type error, so the list cannot drift.
 */
export type OptionNames<Options> = { readonly [Name in keyof Required<Options>]: true };

/** `caller` is the name the user called (`"geminiWebhooks"`, `"memoryStore"`, ...); `names` the options it takes. */
export function rejectUnknownOptions<Options>(
  options: object,
  names: OptionNames<Options>,
  caller: string,
  prefix = "",
): void {
  for (const name of Object.keys(options)) {
    if (!Object.hasOwn(names, name)) {
      const known = Object.keys(names)
        .map((known) => prefix + known)
        .join(", ");
      throw new TypeError(`${caller}: unknown option "${prefix}${name}" (the options are: ${known}).`);
    }
  }
}

export function positive(value: unknown, name: string, caller: string): number {
  if (typeof value !== "number" || !Number.isFinite(value) || value <= 0)
    fail(caller, name, "a positive number", value);
  return value;
}

export function nonNegative(value: unknown, name: string, caller: string): number {
  if (typeof value !== "number" || !Number.isFinite(value) || value < 0) fail(caller, name, "a number >= 0", value);
  return value;
}

export function positiveInteger(value: unknown, name: string, caller: string): number {
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value <= 0)
    fail(caller, name, "a positive whole number", value);
  return value;
}

function fail(caller: string, name: string, expected: string, value: unknown): never {
  throw new TypeError(`${caller}: option "${name}" must be ${expected}, got ${describe(value)}.`);
}

// Strings quoted (so "100" is not mistaken for 100) and cut short; objects named, not stringified.
function describe(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (Array.isArray(value)) return "an array";
  if (value !== null && typeof value === "object") return "an object";
  if (typeof value === "function") return "a function";
  return String(value);
}

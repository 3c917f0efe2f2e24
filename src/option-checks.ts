// The checks every option resolver shares (geminiWebhooks, memoryStore, redisStore, the CLI). Each throws
// a TypeError naming the caller and the option, e.g. `memoryStore: option "max" must be ...`, so a
// mistake is found at start-up, where it was made.

/**
 * The option names of `T`, kept by the compiler: `optionNames<Options>({ a: true, b: true })` fails to compile when
 * a name of `Options` is missing or one is not an option (express-rate-limit's KeysEnum), so the list of known
 * names cannot drift from the interface.
 */
export function optionNames<T>(names: Record<keyof T, true>): ReadonlySet<string> {
  return new Set(Object.keys(names));
}

/** `caller` is the name the user called (`"geminiWebhooks"`, `"memoryStore"`, ...); `names` the options it takes. */
export function rejectUnknownOptions(options: object, names: ReadonlySet<string>, caller: string, prefix = ""): void {
  for (const name of Object.keys(options)) {
    if (!names.has(name)) {
      const known = [...names].map((known) => prefix + known).join(", ");
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

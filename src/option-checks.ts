// Checks shared by every option resolver: each throws a TypeError that names the option.

export function positive(value: unknown, name: string): number {
  if (typeof value !== "number" || !Number.isFinite(value) || value <= 0) {
    throw new TypeError(`geminiWebhooks: option "${name}" must be a positive number, got ${String(value)}.`);
  }
  return value;
}

export function nonNegative(value: unknown, name: string): number {
  if (typeof value !== "number" || !Number.isFinite(value) || value < 0) {
    throw new TypeError(`geminiWebhooks: option "${name}" must be a number >= 0, got ${String(value)}.`);
  }
  return value;
}

export function positiveInteger(value: unknown, name: string): number {
  if (!Number.isSafeInteger(value) || (value as number) <= 0) {
    throw new TypeError(`geminiWebhooks: option "${name}" must be a positive whole number, got ${String(value)}.`);
  }
  return value as number;
}

import { positiveInteger } from "../option-checks.js";

/** A mistake in how the CLI was called: reported with a hint to the command's --help, exit status 2. */
export class UsageError extends Error {
  constructor(
    message: string,
    /** The command whose --help the hint names (`send`, `webhooks`, ...); none for the top level. */
    readonly command?: string,
  ) {
    super(message);
    this.name = "UsageError";
  }
}

/**
 * A flag's digits as a number, checked like every other option (`gemini-webhooks send: option "--repeat" must be
 * a positive whole number, got 0.`); anything but digits (e.g. "1e3") is refused. A mistake is a UsageError.
 */
export function positiveIntegerFlag(text: string, name: string, command: string): number {
  try {
    return positiveInteger(/^\d+$/.test(text) ? Number(text) : text, name, `gemini-webhooks ${command}`);
  } catch (error) {
    throw new UsageError((error as Error).message, command);
  }
}

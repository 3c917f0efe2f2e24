import { parseArgs } from "node:util";
import { generateSecret } from "../testing/secret.js";
import { USAGE } from "./usage.js";

/** `gemini-webhooks secret`: prints a new secret, alone on its line, so `$(gemini-webhooks secret)` works. */
export function secretCommand(args: string[], out: (line: string) => void): number {
  const { values } = parseArgs({
    args,
    options: { help: { type: "boolean", short: "h" } },
    strict: true,
    allowPositionals: false,
  });
  out(values.help ? USAGE.secret.trimEnd() : generateSecret());
  return 0;
}

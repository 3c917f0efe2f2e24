import { parseArgs } from "node:util";
import { generateSecret } from "../testing/secret.js";

export const SECRET_HELP = `Usage: gemini-webhooks secret

Prints a new random signing secret (whsec_ + 24 random bytes in base64) for development and tests.
In production, use the secret Gemini returned when you created the webhook.

Options:
  -h, --help   Show this help`;

/** `gemini-webhooks secret`: prints a new secret, alone on its line, so `$(gemini-webhooks secret)` works. */
export function secretCommand(args: string[], out: (line: string) => void): number {
  const { values } = parseArgs({
    args,
    options: { help: { type: "boolean", short: "h" } },
    strict: true,
    allowPositionals: false,
  });
  out(values.help ? SECRET_HELP : generateSecret());
  return 0;
}

import { positiveInteger } from "../option-checks.js";

/** Help texts: one per command, printed by `--help`. */
export const USAGE = {
  main: `Usage: gemini-webhooks <command> [options]

Sign and send Gemini webhook deliveries to a receiver (development and tests), and manage
your webhooks through the Gemini API.

Commands:
  send <url>   Sign and POST deliveries (v1 HMAC, v1a Ed25519 or JWT) and print each answer
  secret       Print a new random signing secret (whsec_...)
  webhooks     Create, list, ping, re-enable webhooks and rotate their secrets (Gemini API;
               needs @google/genai and GEMINI_API_KEY)
  queue        List and retry queued deliveries whose attempts are exhausted (BullMQ)
  help [cmd]   Show help for a command

Run "gemini-webhooks <command> --help" for a command's options.
`,
  send: `Usage: gemini-webhooks send <url> --type <event type> [options]

Signs deliveries the way Gemini does, POSTs them to <url>, and prints each status and error code.

Options:
  -t, --type <type>       Event type, e.g. batch.succeeded (required). A documented type gets a
                          realistic sample payload; any other type is sent with --data as its data.
  -s, --scheme <scheme>   v1 (static HMAC, default), v1a (Ed25519) or jwt
      --secret <secret>   Signing secret for v1 (default: $GEMINI_WEBHOOK_SECRET)
      --keys <file>       Test key set for v1a and jwt: JSON written by TestKeys.toJSON(), e.g. the
                          file the example app prints (default: $GEMINI_WEBHOOK_TEST_KEYS)
      --algorithm <alg>   JWT algorithm: RS256 (default), ES256 or EdDSA
      --audience <aud>    JWT "aud" claim (default: the key set's audience)
  -d, --data <json>       JSON object merged over the sample's "data"
      --user-metadata <json>
                          JSON object sent as the payload's top-level "user_metadata" (what a
                          dynamic webhook's webhook_config.user_metadata carries)
  -n, --repeat <n>        Send n deliveries, each with a new webhook-id (default 1)
      --duplicate         Send each delivery a second time with the same webhook-id
      --id <id>           webhook-id to use (only with a single delivery)
      --timestamp <secs>  webhook-timestamp in Unix seconds (default: now); an old one tests staleness
      --timeout <ms>      Time to wait for each answer (default 10000)
  -h, --help              Show this help

Exit status: 0 when every answer was 2xx, 1 when one was not or the server could not be reached,
2 for a usage error.

Examples:
  gemini-webhooks send http://localhost:3000/gemini-callback --type batch.succeeded --secret whsec_...
  gemini-webhooks send http://localhost:3000/gemini-callback -t batch.failed -d '{"error_code":"INTERNAL"}' --duplicate
  gemini-webhooks send http://localhost:3000/gemini-callback -t video.generated --scheme jwt --keys ./keys.json
`,
  secret: `Usage: gemini-webhooks secret

Prints a new random signing secret (whsec_ + 24 random bytes in base64) for development and tests.
In production, use the secret Gemini returned when you created the webhook.

Options:
  -h, --help   Show this help
`,
  queue: `Usage: gemini-webhooks queue failed [options]
       gemini-webhooks queue retry <webhook-id>... | --all [options]

Inspects the BullMQ queue of bullmqQueue() (gemini-webhooks-express/bullmq): "failed" lists the
deliveries whose attempts are exhausted, with their last error; "retry" moves them back to the queue,
with all their attempts again. Needs the bullmq and ioredis packages.

Options:
      --redis <url>     Redis URL (default: $REDIS_URL)
      --name <name>     Queue name given to bullmqQueue() (default gemini-webhooks)
      --prefix <p>      BullMQ key prefix given to bullmqQueue() (default bull)
      --limit <n>       failed: how many to list (default 100)
      --all             retry: every failed delivery
      --json            failed: print JSON
  -h, --help            Show this help

Exit status: 0 on success, 1 when a delivery to retry was not found or had not failed, 2 for a usage error.

Examples:
  gemini-webhooks queue failed --redis redis://127.0.0.1:6379
  gemini-webhooks queue retry msg_2abc3def --redis redis://127.0.0.1:6379
`,
  webhooks: `Usage: gemini-webhooks webhooks <action> [options]

Manages your project's (static) webhooks through the Gemini WebhookService, with Google's SDK
(npm install @google/genai). Reads the API key from GEMINI_API_KEY; it is never printed.

Actions:
  create --uri <url> [--events <types> | --from <module>] [--name <name>]
                 Create a webhook. --events: comma-separated or repeated. --from: the types the
                 receiver exported by <module> has on() handlers for. Default: every type in
                 Gemini's event catalog. Prints the signing secret, once.
  list           List webhooks with their state; flags webhooks Gemini disabled after failed
                 deliveries, and says how to re-enable them.
  ping <id>      Ask Gemini to send a ping event to the webhook (its type name is unpublished).
  rotate-secret <id> [--immediately]
                 Make a new signing secret (printed once). By default the previous one keeps
                 verifying for 24 hours: configure both, secret: [new, old]. --immediately revokes
                 the previous secrets now.
  enable <id>    Set the webhook's state to enabled (e.g. after disabled_due_to_failed_deliveries).

Options:
      --timeout <ms>   Time to wait for each API call (default 30000; calls are not retried)
  -h, --help           Show this help

Environment:
  GEMINI_API_KEY           Your Gemini API key (required)
  GOOGLE_GEMINI_BASE_URL   Another API endpoint (default https://generativelanguage.googleapis.com)

Exit status: 0 done, 1 the API refused or could not be reached, 2 for a usage error.

Examples:
  gemini-webhooks webhooks create --uri https://example.com/gemini-callback --events batch.succeeded,batch.failed
  gemini-webhooks webhooks create --uri https://example.com/gemini-callback --from ./dist/webhooks.js
  gemini-webhooks webhooks list
  gemini-webhooks webhooks rotate-secret <id>
`,
} as const;

export type Command = Exclude<keyof typeof USAGE, "main">;

export function isCommand(name: string | undefined): name is Command {
  return name !== undefined && name !== "main" && Object.hasOwn(USAGE, name);
}

/** A mistake in how the CLI was called: reported with a hint, exit status 2. */
export class UsageError extends Error {
  constructor(
    message: string,
    readonly command?: Command,
  ) {
    super(message);
    this.name = "UsageError";
  }
}

/**
 * A flag's digits as a number, checked like every other option (`gemini-webhooks send: option "--repeat" must be
 * a positive whole number, got 0.`); anything but digits (e.g. "1e3") is refused. A mistake is a UsageError.
 */
export function positiveIntegerFlag(text: string, name: string, command: Command): number {
  try {
    return positiveInteger(/^\d+$/.test(text) ? Number(text) : text, name, `gemini-webhooks ${command}`);
  } catch (error) {
    throw new UsageError((error as Error).message, command);
  }
}

/** Help texts: one per command, printed by `--help`. */
export const USAGE = {
  main: `Usage: gemini-webhooks <command> [options]

Sign and send Gemini webhook deliveries to a receiver, for development and tests.

Commands:
  send <url>   Sign and POST deliveries (v1 HMAC, v1a Ed25519 or JWT) and print each answer
  secret       Print a new random signing secret (whsec_...)
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

import { memoryStore } from "./dedupe/memory.js";
import type { DedupeStore } from "./dedupe/store.js";
import type { AnyDeliveryQueue, DeliveryQueue } from "./queue/queue.js";
import { resolveTelemetry } from "./telemetry/otel.js";
import type { Telemetry } from "./telemetry/telemetry.js";
import { positive, rejectUnknownOptions, type OptionNames } from "./option-checks.js";
import { assertUsableSecret } from "./verify/secret.js";
import { deferredSecrets, type SecretSource } from "./verify/secret-source.js";
import { resolveJwks, type JwksConfig, type JwksOptions } from "./verify/jwks-options.js";

export { DEFAULT_JWT_ALGORITHMS, GEMINI_JWKS_URL, type JwksConfig, type JwksOptions } from "./verify/jwks-options.js";

/** Options of `geminiWebhooks()`. Every one is checked once, at creation. */
export interface GeminiWebhooksOptions<Q extends AnyDeliveryQueue = AnyDeliveryQueue> {
  /**
   * The static webhook signing secret Gemini returned (`whsec_...`; the prefix is optional), for `v1`
   * HMAC signatures. Pass several during a rotation's 24-hour grace period: any one matching is enough,
   * and the handler's `ctx.secretIndex` says which.
   *
   * A function (`() => process.env.GEMINI_WEBHOOK_SECRET`) is called at the first delivery instead, and its
   * value kept once it is a usable secret: a build that imports the route without the variable (`next build`)
   * succeeds. Absent (undefined) without `jwks`, the check waits for the first delivery too. Until a usable
   * secret is there, every delivery is answered `500 secret_not_configured`: none is ever accepted unverified.
   */
  secret?: string | readonly string[] | (() => string | readonly string[] | undefined);
  /**
   * Dynamic webhooks (`v1a` Ed25519 and JWT) against a JSON Web Key Set, e.g. `{ audience: "my-service" }`.
   * At least one of `secret` and `jwks` is required; without `jwks`, `v1a` and JWT are never accepted.
   */
  jwks?: JwksOptions;
  /** How far `webhook-timestamp` may be from now, in seconds, in the past and in the future. Default 300. */
  toleranceSeconds?: number;
  /**
   * Largest accepted body, in bytes; larger ones get 413 without being buffered. Default 65 536 (64 KiB):
   * Gemini's payloads are thin (a few hundred bytes) and the Standard Webhooks spec recommends under 20 kB,
   * while every byte a forged request may send costs reading and hashing before it can be refused.
   */
  maxBodyBytes?: number;
  /** Longest time the body may take to arrive, in ms; a slower one gets 408. Default 10 000. */
  bodyTimeoutMs?: number;
  /**
   * Where handled `webhook-id`s are remembered so retries and duplicates run handlers once.
   * Default: `memoryStore()` (this process only, 100 000 ids, 25 h). `false` turns de-duplication off.
   */
  dedupe?: DedupeStore | false;
  /**
   * A durable queue (e.g. `bullmqQueue(...)` from `gemini-webhooks-express/bullmq`): verified deliveries are
   * stored there and answered `202 queued`; `webhooks.work()` runs the handlers. Default: handlers run inline.
   */
  queue?: Q;
  /** OpenTelemetry spans and metrics, when `@opentelemetry/api` is installed. Default `true`; `false` turns them off. */
  telemetry?: boolean;
  /**
   * Run the handlers once per job completion, not only once per `webhook-id`: a terminal event's type and resource
   * id (`batch.succeeded` about `batches/123`) are claimed in the dedupe store beside its webhook-id, so a catch-up
   * delivery and Gemini's late delivery of the same completion under another webhook-id run nothing twice. Turn it
   * on when you use catch-up (docs/when-deliveries-stop.md). Default `false`: two deliveries with different
   * webhook-ids both run, whatever they are about.
   */
  oncePerCompletion?: boolean;
  /** The clock, in ms since the epoch, for timestamps, JWT claims and the key set's cache. Default `Date.now`. For tests. */
  now?: () => number;
}

/** Options after checking, with defaults filled in. */
export interface ReceiverConfig {
  /** The `v1` secrets, checked; or a reader that gives them at the first delivery (see `secret`). */
  readonly secrets: SecretSource;
  readonly jwks: JwksConfig | undefined;
  readonly toleranceSeconds: number;
  readonly maxBodyBytes: number;
  readonly bodyTimeoutMs: number;
  readonly dedupe: DedupeStore | undefined;
  readonly queue: DeliveryQueue | undefined;
  readonly telemetry: Telemetry | undefined;
  readonly oncePerCompletion: boolean;
  readonly now: () => number;
}

const OPTION_NAMES: OptionNames<GeminiWebhooksOptions> = {
  secret: true,
  jwks: true,
  toleranceSeconds: true,
  maxBodyBytes: true,
  bodyTimeoutMs: true,
  dedupe: true,
  queue: true,
  telemetry: true,
  oncePerCompletion: true,
  now: true,
};

export function resolveOptions(options: GeminiWebhooksOptions | undefined): ReceiverConfig {
  if (options === null || typeof options !== "object") {
    throw new TypeError(
      "geminiWebhooks(options): options must be an object, e.g. { secret: process.env.GEMINI_WEBHOOK_SECRET }.",
    );
  }
  rejectUnknownOptions(options, OPTION_NAMES, "geminiWebhooks");
  const jwks = resolveJwks(options.jwks);
  return Object.freeze({
    secrets: resolveSecrets(options.secret, jwks !== undefined),
    jwks,
    toleranceSeconds: positive(options.toleranceSeconds ?? 300, "toleranceSeconds", "geminiWebhooks"),
    maxBodyBytes: positive(options.maxBodyBytes ?? 64 * 1024, "maxBodyBytes", "geminiWebhooks"),
    bodyTimeoutMs: positive(options.bodyTimeoutMs ?? 10_000, "bodyTimeoutMs", "geminiWebhooks"),
    dedupe: resolveDedupe(options.dedupe),
    queue: resolveQueue(options.queue),
    telemetry: resolveTelemetryOption(options.telemetry),
    oncePerCompletion: resolveFlag(options.oncePerCompletion, "oncePerCompletion"),
    now: resolveClock(options.now),
  });
}

function resolveSecrets(secret: GeminiWebhooksOptions["secret"], hasJwks: boolean): SecretSource {
  if (secret === undefined) {
    if (hasJwks) return Object.freeze([]);
    // A build importing the route has no environment: say nothing now, refuse deliveries (500) until there is one.
    return deferredSecrets(() => undefined, false);
  }
  if (typeof secret === "function") return deferredSecrets(secret, hasJwks);
  const secrets = typeof secret === "string" ? [secret] : secret;
  if (!Array.isArray(secrets) || secrets.length === 0) {
    throw new TypeError(
      'geminiWebhooks: option "secret" must be a string, a non-empty array of strings, or a function returning one.',
    );
  }
  secrets.forEach((value, index) =>
    assertUsableSecret(value, `geminiWebhooks: option "${secrets.length === 1 ? "secret" : `secret[${index}]`}"`),
  );
  return Object.freeze([...secrets]);
}

function resolveDedupe(dedupe: GeminiWebhooksOptions["dedupe"]): DedupeStore | undefined {
  if (dedupe === false) return undefined;
  if (dedupe === undefined) return memoryStore();
  const store = dedupe as Partial<DedupeStore> | null;
  if (
    typeof store?.claim !== "function" ||
    typeof store.complete !== "function" ||
    typeof store.release !== "function"
  ) {
    throw new TypeError('geminiWebhooks: option "dedupe" must be a DedupeStore (claim, complete, release) or false.');
  }
  return dedupe;
}

function resolveQueue(queue: GeminiWebhooksOptions["queue"]): DeliveryQueue | undefined {
  if (queue === undefined) return undefined;
  const candidate = queue as Partial<DeliveryQueue> | null;
  if (typeof candidate?.enqueue !== "function" || typeof candidate.work !== "function") {
    throw new TypeError(
      'geminiWebhooks: option "queue" must be a DeliveryQueue, e.g. bullmqQueue({ connection }) from "gemini-webhooks-express/bullmq".',
    );
  }
  return queue;
}

// On (the default) only if @opentelemetry/api is installed: otherwise undefined, and the pipeline skips it.
function resolveTelemetryOption(telemetry: GeminiWebhooksOptions["telemetry"]): Telemetry | undefined {
  if (telemetry !== undefined && typeof telemetry !== "boolean") {
    throw new TypeError('geminiWebhooks: option "telemetry" must be true or false.');
  }
  return resolveTelemetry(telemetry);
}

function resolveClock(now: GeminiWebhooksOptions["now"]): () => number {
  if (now === undefined) return Date.now;
  if (typeof now !== "function")
    throw new TypeError('geminiWebhooks: option "now" must be a function returning ms since the epoch.');
  return now;
}

function resolveFlag(value: unknown, name: string): boolean {
  if (value === undefined) return false;
  if (typeof value !== "boolean") throw new TypeError(`geminiWebhooks: option "${name}" must be true or false.`);
  return value;
}

import { memoryStore } from "./dedupe/memory.js";
import type { DedupeStore } from "./dedupe/store.js";
import { assertUsableSecret } from "./verify/hmac.js";

/** Options of `geminiWebhooks()`. Every one is checked once, at creation. */
export interface GeminiWebhooksOptions {
  /**
   * The static webhook signing secret Gemini returned (`whsec_...`; the prefix is optional), for `v1`
   * HMAC signatures. Pass several during a rotation's 24-hour grace period: any one matching is enough,
   * and the handler's `ctx.secretIndex` says which.
   */
  secret?: string | readonly string[];
  /** How far `webhook-timestamp` may be from now, in seconds, in the past and in the future. Default 300. */
  toleranceSeconds?: number;
  /** Largest accepted body, in bytes; larger ones get 413 without being buffered. Default 1 048 576 (1 MiB). */
  maxBodyBytes?: number;
  /** Longest time the body may take to arrive, in ms; a slower one gets 408. Default 10 000. */
  bodyTimeoutMs?: number;
  /**
   * Where handled `webhook-id`s are remembered so retries and duplicates run handlers once.
   * Default: `memoryStore()` (this process only, 100 000 ids, 25 h). `false` turns de-duplication off.
   */
  dedupe?: DedupeStore | false;
  /** The clock, in ms since the epoch. Default `Date.now`. For tests. */
  now?: () => number;
}

/** Options after checking, with defaults filled in. */
export interface ReceiverConfig {
  readonly secrets: readonly string[];
  readonly toleranceSeconds: number;
  readonly maxBodyBytes: number;
  readonly bodyTimeoutMs: number;
  readonly dedupe: DedupeStore | undefined;
  readonly now: () => number;
}

const KNOWN_OPTIONS = new Set<string>(["secret", "toleranceSeconds", "maxBodyBytes", "bodyTimeoutMs", "dedupe", "now"]);

export function resolveOptions(options: GeminiWebhooksOptions | undefined): ReceiverConfig {
  if (options === null || typeof options !== "object") {
    throw new TypeError("geminiWebhooks(options): options must be an object, e.g. { secret: process.env.GEMINI_WEBHOOK_SECRET }.");
  }
  for (const name of Object.keys(options)) {
    if (!KNOWN_OPTIONS.has(name)) throw new TypeError(`geminiWebhooks: unknown option "${name}".`);
  }
  return Object.freeze({
    secrets: resolveSecrets(options.secret),
    toleranceSeconds: positive(options.toleranceSeconds ?? 300, "toleranceSeconds"),
    maxBodyBytes: positive(options.maxBodyBytes ?? 1024 * 1024, "maxBodyBytes"),
    bodyTimeoutMs: positive(options.bodyTimeoutMs ?? 10_000, "bodyTimeoutMs"),
    dedupe: resolveDedupe(options.dedupe),
    now: resolveClock(options.now),
  });
}

function resolveSecrets(secret: GeminiWebhooksOptions["secret"]): readonly string[] {
  if (secret === undefined) {
    throw new TypeError(
      "geminiWebhooks: option \"secret\" is required: pass the signing secret Gemini returned (e.g. process.env.GEMINI_WEBHOOK_SECRET).",
    );
  }
  const secrets = typeof secret === "string" ? [secret] : secret;
  if (!Array.isArray(secrets) || secrets.length === 0) {
    throw new TypeError('geminiWebhooks: option "secret" must be a string or a non-empty array of strings.');
  }
  secrets.forEach((value, index) => assertUsableSecret(value, secrets.length === 1 ? "secret" : `secret[${index}]`));
  return Object.freeze([...secrets]);
}

function positive(value: unknown, name: string): number {
  if (typeof value !== "number" || !Number.isFinite(value) || value <= 0) {
    throw new TypeError(`geminiWebhooks: option "${name}" must be a positive number, got ${String(value)}.`);
  }
  return value;
}

function resolveDedupe(dedupe: GeminiWebhooksOptions["dedupe"]): DedupeStore | undefined {
  if (dedupe === false) return undefined;
  if (dedupe === undefined) return memoryStore();
  const store = dedupe as Partial<DedupeStore> | null;
  if (typeof store?.claim !== "function" || typeof store.complete !== "function" || typeof store.release !== "function") {
    throw new TypeError('geminiWebhooks: option "dedupe" must be a DedupeStore (claim, complete, release) or false.');
  }
  return dedupe;
}

function resolveClock(now: GeminiWebhooksOptions["now"]): () => number {
  if (now === undefined) return Date.now;
  if (typeof now !== "function") throw new TypeError('geminiWebhooks: option "now" must be a function returning ms since the epoch.');
  return now;
}

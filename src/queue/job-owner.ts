import { base64Decode, base64UrlDecode, base64UrlEncode, constantTimeEqual, utf8Encode } from "../bytes.js";
import type { VerifiedContext } from "../context.js";
import type { CryptoProvider, HmacKey } from "../crypto/provider.js";
import type { AnyGeminiEvent } from "../events.js";
import { parseEvent } from "../parse.js";
import { normalizeUserMetadata } from "../user-metadata.js";
import type { JwksConfig } from "../verify/jwks-options.js";
import { checkBodyBinding } from "../verify/jwt-binding.js";
import { decodeSecret } from "../verify/secret.js";
import type { SecretSource } from "../verify/secret-source.js";

/**
 * The owner tag: the mark a receiver puts on each job it queues, so that its workers run only jobs it queued,
 * and only with the bytes it verified. It is an HMAC over the `webhook-id`, what the signature proved and the
 * raw body, keyed by a key derived from the `v1` secret that verified the delivery. A worker accepts a job under
 * any of its own secrets (a rotation keeps working) and derives the event again from the tagged bytes, so
 * neither another app on the same queue nor a job's data rewritten in the store can choose what a handler runs.
 *
 * A receiver with no `v1` secret (dynamic webhooks only) has no secret to key it with: its key is derived from
 * its JWKS settings, which are public. That still tells two apps apart, but does not authenticate; for such a
 * receiver the queue's store is inside the trust boundary (docs/security.md).
 */
export interface JobOwner {
  /** The tag for one verified delivery. */
  tag(context: VerifiedContext, body: Uint8Array): Promise<string>;
  /** Whether `tag` is one this receiver made for this context and body (constant-time per key). */
  verifies(context: VerifiedContext, body: Uint8Array, tag: string): Promise<boolean>;
}

/** Why a worker will not run a job. Retrying cannot help: another attempt reads the same data. */
export class JobRefusedError extends Error {
  /** The job's `webhook-id` as its data gives it (for logs: it is not trusted). */
  readonly webhookId?: string;
  constructor(reason: string, webhookId?: string) {
    super(`gemini-webhooks: job refused: ${reason}`);
    this.name = "JobRefusedError";
    this.webhookId = webhookId;
  }
}

export function isJobRefused(error: unknown): error is JobRefusedError {
  return error instanceof JobRefusedError;
}

// Derived keys, not the secrets themselves: the tag must not be a second use of the signing key.
const OWNER_KEY_LABEL = "gemini-webhooks queued-job owner v1";

export function createJobOwner(
  identity: { readonly secrets: SecretSource; readonly jwks: JwksConfig | undefined },
  crypto: CryptoProvider,
): JobOwner {
  let keys: Promise<{ bySecret: HmacKey[]; all: HmacKey[] }> | undefined;

  // Read at first use: the secrets may be a reader that only works at the first delivery.
  function ownerKeys() {
    keys ??= deriveKeys().catch((error) => {
      keys = undefined;
      throw error;
    });
    return keys;
  }

  async function deriveKeys() {
    const secrets = typeof identity.secrets === "function" ? identity.secrets() : identity.secrets;
    const bySecret: HmacKey[] = [];
    for (const secret of secrets) {
      const derived = await crypto.hmacSha256(crypto.hmacKey(decodeSecret(secret)!), OWNER_KEY_LABEL, new Uint8Array());
      bySecret.push(crypto.hmacKey(derived));
    }
    const all = [...bySecret];
    if (identity.jwks) {
      const { url, keys: inline, audience, issuer } = identity.jwks;
      const settings = canonicalJson({ url: url?.href, keys: inline, audience, issuer });
      all.push(crypto.hmacKey(await crypto.sha256(utf8Encode(`${OWNER_KEY_LABEL}\n${settings}`))));
    }
    return { bySecret, all };
  }

  async function compute(key: HmacKey, context: VerifiedContext, body: Uint8Array): Promise<Uint8Array> {
    // Length-prefixed, so no two (context, body) pairs share the tagged text.
    const contextText = canonicalJson(context);
    return crypto.hmacSha256(key, `${contextText.length}\n${contextText}\n`, body);
  }

  return {
    async tag(context, body) {
      const { bySecret, all } = await ownerKeys();
      // A v1 delivery: the secret that verified it. Otherwise a secret when there is one (it authenticates), else JWKS.
      const key =
        (context.secretIndex !== undefined ? bySecret[context.secretIndex] : undefined) ?? bySecret[0] ?? all.at(-1)!;
      return base64UrlEncode(await compute(key, context, body));
    },
    async verifies(context, body, tag) {
      const given = base64UrlDecode(tag);
      if (given === undefined) return false;
      let valid = false;
      for (const key of (await ownerKeys()).all) {
        if (constantTimeEqual(await compute(key, context, body), given)) valid = true;
      }
      return valid;
    },
  };
}

/** What a worker runs: the job's data, checked against its tag, with the event derived from its bytes. */
export interface OwnedDelivery {
  event: AnyGeminiEvent;
  context: VerifiedContext;
  rawBody: Uint8Array;
}

/**
 * Checks a job's data (as the queue returned it: untrusted) and derives the event from its bytes. Throws a
 * `JobRefusedError` for data that is not a delivery, a tag this receiver did not make, or bytes that are not an
 * event. The job's stored `event` is never used.
 */
export async function ownedDelivery(data: unknown, owner: JobOwner, crypto: CryptoProvider): Promise<OwnedDelivery> {
  const job = (typeof data === "object" && data !== null ? data : {}) as Record<string, unknown>;
  const context = job.context as VerifiedContext | undefined;
  const webhookId = typeof context?.webhookId === "string" ? context.webhookId : undefined;
  const rawBody = typeof job.rawBody === "string" ? base64Decode(job.rawBody) : undefined;
  if (typeof context !== "object" || context === null || webhookId === undefined || rawBody === undefined) {
    throw new JobRefusedError("its data is not a queued delivery", webhookId);
  }
  if (typeof job.owner !== "string" || !(await owner.verifies(context, rawBody, job.owner))) {
    throw new JobRefusedError(
      "its owner tag matches none of this receiver's secrets: another app queued it on the same queue (give each " +
        "app its own queue name), it was queued before owner tags (a previous version), or its data was changed " +
        "in the queue's store",
      webhookId,
    );
  }
  let event: AnyGeminiEvent;
  try {
    // As the web process did: a JWT with an empty body carries the event in its claims (tagged with the context).
    const fromClaims =
      context.scheme === "jwt" && context.claims
        ? await checkBodyBinding(context.claims, rawBody, webhookId, crypto)
        : undefined;
    event = normalizeUserMetadata(fromClaims ?? parseEvent(rawBody, webhookId));
  } catch {
    throw new JobRefusedError("its body is not an event", webhookId);
  }
  return { event, context, rawBody };
}

/** JSON with object keys sorted at every level: a store that reorders keys (PostgreSQL's jsonb) keeps tags valid. */
function canonicalJson(value: unknown): string {
  if (value === undefined) return "null";
  if (typeof value !== "object" || value === null) return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  const record = value as Record<string, unknown>;
  const entries = Object.keys(record)
    .filter((key) => record[key] !== undefined)
    .sort()
    .map((key) => `${JSON.stringify(key)}:${canonicalJson(record[key])}`);
  return `{${entries.join(",")}}`;
}

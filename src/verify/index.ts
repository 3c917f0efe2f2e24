import type { JWTPayload } from "jose";
import type { CryptoProvider } from "../crypto/provider.js";
import { WebhookError, isWebhookError } from "../errors.js";
import { andThen, isThenable, type MaybePromise } from "../maybe-promise.js";
import type { AnyGeminiEvent } from "../events.js";
import type { JwksConfig } from "./jwks-options.js";
import { createV1aVerifier, type Ed25519Match } from "./ed25519.js";
import type { TokenOnlyHeaders, WebhookHeaders } from "./headers.js";
import { createHmacVerifier, type HmacVerifier } from "./hmac.js";
import { createKeySource, type KeyFailureReporter } from "./jwks.js";
import { createJwtVerifier, type JwtVerification, type JwtVerifier } from "./jwt.js";
import { createSecretHinter, type SecretHinter } from "./secret-hint.js";
import type { SignatureEntry } from "./signature-list.js";
import type { SecretSource } from "./secret-source.js";

/** Which signature scheme verified a delivery. */
export type SignatureScheme = "v1" | "v1a" | "jwt";

/** What a verified signature tells about a delivery. */
export interface Verification {
  scheme: SignatureScheme;
  /** The delivery's id: `webhook-id`, or (JWT without that header) the token's `jti`. */
  webhookId: string;
  /** Unix seconds: `webhook-timestamp` (signed by v1/v1a); JWT: the token's `iat`, else `webhook-timestamp`, else the time of receipt. */
  timestamp: number;
  /** `v1`: index, in the configured `secret` list, of the secret that matched (0 = the first). */
  secretIndex?: number;
  /** `v1a`: the key's `kid` (or RFC 7638 thumbprint); JWT: the token's `kid`. */
  keyId?: string;
  /** JWT: the verified claims. */
  claims?: JWTPayload;
  /** JWT with an empty body: the event the claims carry. */
  event?: AnyGeminiEvent;
}

export type SignatureVerifier = (
  headers: WebhookHeaders | TokenOnlyHeaders,
  entries: readonly SignatureEntry[],
  body: Uint8Array,
) => Verification | Promise<Verification>;

/**
 * What the verifier needs, taken from the receiver's checked options (`resolveOptions` fills in every default in
 * one place; nothing here restates one).
 */
export interface SignatureVerifierConfig {
  /** Clock skew allowed for JWT time claims, in seconds. */
  toleranceSeconds: number;
  /** The clock (ms since the epoch) for JWT claims and the key set's cache. */
  now: () => number;
  /** The `v1` secrets, or a reader of them at the first delivery (it throws `secret_not_configured`). */
  secrets: SecretSource;
  /** node:crypto or WebCrypto: the entry the app imported decides. */
  crypto: CryptoProvider;
  /** Dynamic webhooks; absent → `v1a` and JWT are never accepted. */
  jwks: JwksConfig | undefined;
  /** Receives key set refresh failures while the last good set is still served. */
  reportKeyFailure: KeyFailureReporter;
}

/** Each JWT costs a public-key verification: a header stuffed with tokens must not cost more. */
export const MAX_JWT_ENTRIES = 2;

/**
 * Tries each configured scheme, cheapest first (`v1`, `v1a`, JWT); any one verifying entry is enough.
 * A scheme that is not configured never accepts anything.
 */
export function createSignatureVerifier(config: SignatureVerifierConfig): SignatureVerifier {
  const { crypto, now } = config;
  // One key source per receiver, shared by v1a and JWT: one cache, one fetch in flight.
  const source = config.jwks ? createKeySource(config.jwks, now, config.reportKeyFailure, crypto) : undefined;
  const v1a = source ? createV1aVerifier(source, crypto) : undefined;
  const jwt =
    source && config.jwks
      ? createJwtVerifier({ source, jwks: config.jwks, toleranceSeconds: config.toleranceSeconds, now, crypto })
      : undefined;

  // The v1 verifier and, for a failed v1 signature, its diagnosis for onError (never loosens anything;
  // rate-limited): built at once from checked secrets, or at the first delivery that finds usable ones.
  const hmacOf = (secrets: readonly string[]): HmacCheck | undefined =>
    secrets.length > 0
      ? { verify: createHmacVerifier(secrets, crypto), hinter: createSecretHinter(secrets, now, crypto) }
      : undefined;
  const secrets = config.secrets;
  let hmacCheck: HmacCheck | undefined = typeof secrets === "function" ? undefined : hmacOf(secrets);
  let hmacSettled = typeof secrets !== "function";
  const currentHmac = (): HmacCheck | undefined => {
    if (hmacSettled || typeof secrets !== "function") return hmacCheck;
    hmacCheck = hmacOf(secrets()); // throws secret_not_configured (not kept: the next delivery reads again)
    hmacSettled = true;
    return hmacCheck;
  };

  const verifyDynamic = (
    headers: WebhookHeaders | TokenOnlyHeaders,
    entries: readonly SignatureEntry[],
    body: Uint8Array,
  ): Verification | Promise<Verification> => {
    if (v1a && hasStandardHeaders(headers) && entries.some((entry) => entry.version === "v1a")) {
      const matched = v1a(entries, headers, body);
      const onV1a = (match: Ed25519Match | undefined): Verification | Promise<Verification> =>
        match
          ? { scheme: "v1a", webhookId: headers.id, timestamp: headers.timestamp, keyId: match.keyId }
          : verifyTokens(jwt, entries, headers, body);
      return matched instanceof Promise ? matched.then(onV1a) : onV1a(matched);
    }
    return verifyTokens(jwt, entries, headers, body);
  };

  return (headers, entries, body) => {
    const hmac = currentHmac();
    if (!hmac || !hasStandardHeaders(headers)) return verifyDynamic(headers, entries, body);
    return andThen(hmac.verify(entries, headers.id, headers.timestamp, body), (secretIndex) => {
      if (secretIndex >= 0) return { scheme: "v1", webhookId: headers.id, timestamp: headers.timestamp, secretIndex };
      if (!entries.some((entry) => entry.version === "v1")) return verifyDynamic(headers, entries, body);
      // A v1 entry failed: if nothing else verifies either, say (to onError only) whether it matches a usual mistake.
      const explain = (error: unknown): MaybePromise<never> =>
        andThen(withSecretHint(error, hmac.hinter, headers, entries, body), (explained) => {
          throw explained;
        });
      let result: Verification | Promise<Verification>;
      try {
        result = verifyDynamic(headers, entries, body);
      } catch (error) {
        return explain(error);
      }
      return isThenable(result) ? result.then(undefined, explain) : result;
    });
  };
}

interface HmacCheck {
  verify: HmacVerifier;
  hinter: SecretHinter;
}

/** The same `invalid_signature`, with a hint when the failed `v1` signature matches a usual mistake (rate-limited). */
function withSecretHint(
  error: unknown,
  hinter: SecretHinter,
  headers: WebhookHeaders,
  entries: readonly SignatureEntry[],
  body: Uint8Array,
): MaybePromise<unknown> {
  if (!isWebhookError(error) || error.code !== "invalid_signature") return error;
  return andThen(hinter(entries, headers.id, headers.timestamp, body), (hint) =>
    hint === undefined
      ? error
      : new WebhookError("invalid_signature", {
          webhookId: error.webhookId,
          cause: error.cause,
          detail: error.detail,
          hint,
        }),
  );
}

function verifyTokens(
  jwt: JwtVerifier | undefined,
  entries: readonly SignatureEntry[],
  headers: WebhookHeaders | TokenOnlyHeaders,
  body: Uint8Array,
): Verification | Promise<Verification> {
  const tokens = jwt ? entries.filter((entry) => entry.version === "jwt").slice(0, MAX_JWT_ENTRIES) : [];
  if (!jwt || tokens.length === 0) throw new WebhookError("invalid_signature", { webhookId: headers.id });
  // The usual header holds one token: its verification is the answer, with no loop around it.
  if (tokens.length === 1) return jwt(tokens[0]!.value, headers, body).then(asJwtVerification);
  return (async () => {
    let firstError: unknown;
    for (const token of tokens) {
      try {
        return asJwtVerification(await jwt(token.value, headers, body));
      } catch (error) {
        firstError ??= error;
      }
    }
    throw firstError;
  })();
}

function asJwtVerification(verified: JwtVerification): Verification {
  return { scheme: "jwt", ...verified };
}

function hasStandardHeaders(headers: WebhookHeaders | TokenOnlyHeaders): headers is WebhookHeaders {
  return headers.id !== undefined && headers.timestamp !== undefined;
}

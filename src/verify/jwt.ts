import { errors, jwtVerify, type JWTPayload, type JWTVerifyOptions, type JWTVerifyResult } from "jose";
import { WebhookError, isWebhookError } from "../errors.js";
import type { CryptoProvider } from "../crypto/provider.js";
import type { AnyGeminiEvent } from "../events.js";
import type { JwksConfig } from "./jwks-options.js";
import { isUsableWebhookId } from "../webhook-id.js";
import type { TokenOnlyHeaders } from "./headers.js";
import type { KeySet, KeySource } from "./jwks.js";
import { checkBodyBinding } from "./jwt-binding.js";

/** What a verified JWT delivery tells. */
export interface JwtVerification {
  /** `webhook-id`, or the token's `jti` when the header is absent. */
  webhookId: string;
  /** `webhook-timestamp`, else the token's `iat`, else the time of receipt (Unix seconds). */
  timestamp: number;
  /** The token header's `kid`, when it has one. */
  keyId?: string;
  claims: JWTPayload;
  /** The event, when the body is empty and the claims carry it. */
  event?: AnyGeminiEvent;
}

export type JwtVerifier = (token: string, headers: TokenOnlyHeaders, body: Uint8Array) => Promise<JwtVerification>;

export interface JwtVerifierConfig {
  source: KeySource;
  jwks: JwksConfig;
  /** Allowed clock skew for `iat`, `nbf` and `exp`, and the largest age of an `iat` when there is no `exp`, in seconds. */
  toleranceSeconds: number;
  now: () => number;
  crypto: CryptoProvider;
}

const NO_AUDIENCE =
  'a JWT-signed delivery arrived but jwks.audience is not configured; set jwks: { audience: "<your audience>" } ' +
  "to accept JWT deliveries (v1a deliveries do not need it)";

/**
 * Verifies a compact JWT from `webhook-signature` with jose, against the receiver's key set:
 * allow-listed algorithms, `aud` always, `iss` when configured, `exp`/`nbf`/`iat` within the
 * tolerance, the body checked against whatever the claims bind, then the user's `verifyClaims`.
 */
export function createJwtVerifier(config: JwtVerifierConfig): JwtVerifier {
  const { source, toleranceSeconds, now } = config;
  const { audience, issuer, algorithms, verifyClaims } = config.jwks;
  let warnedNoAudience = false;
  // Built once; each request only adds its own clock reading.
  const baseOptions: JWTVerifyOptions = {
    algorithms: [...algorithms],
    audience: audience ? [...audience] : undefined,
    issuer: issuer ? [...issuer] : undefined,
    clockTolerance: toleranceSeconds,
  };

  return async (token, headers, body) => {
    if (!audience) {
      // A configuration gap, not an attack: say so once where an operator will see it, even without onError.
      if (!warnedNoAudience) {
        warnedNoAudience = true;
        console.warn(`[gemini-webhooks] ${NO_AUDIENCE}.`);
      }
      throw new WebhookError("invalid_signature", { webhookId: headers.id, detail: NO_AUDIENCE });
    }
    // jose decodes base64url leniently: the unused low bits of the last character would let one
    // signature be written several ways. Only the canonical text is accepted (as for v1 and v1a).
    if (!hasCanonicalSignature(token)) {
      throw new WebhookError("invalid_signature", {
        webhookId: headers.id,
        detail: "the JWT's signature is not canonical base64url",
      });
    }
    const nowMs = now();
    const options: JWTVerifyOptions = { ...baseOptions, currentDate: new Date(nowMs) };
    const { payload: claims, protectedHeader } = await verifyAgainstSource(source, token, options, headers.id);

    const nowSeconds = Math.floor(nowMs / 1000);
    checkFreshness(claims, headers, nowSeconds, toleranceSeconds);
    const webhookId = deliveryId(claims, headers);
    const event = await checkBodyBinding(claims, body, webhookId, config.crypto);
    if (verifyClaims) {
      try {
        await verifyClaims(claims, body);
      } catch (cause) {
        throw new WebhookError("invalid_signature", {
          webhookId,
          cause,
          detail: "jwks.verifyClaims refused the token",
        });
      }
    }
    return {
      webhookId,
      // The token's iat is signed; webhook-timestamp is not covered by a JWT, so it comes second.
      timestamp: claims.iat ?? headers.timestamp ?? nowSeconds,
      keyId: protectedHeader.kid,
      claims,
      event,
    };
  };
}

const BASE64URL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/**
 * Whether the compact JWT's signature (its third part) is base64url as it is written canonically: a length that
 * encodes whole bytes, and zero in the bits of the last character that carry no byte. The token is a
 * COMPACT_JWS match (signature-list.ts), so every character is in the alphabet already: only the length and
 * the last character need looking at, where a decode and re-encode would cost every delivery work in proportion
 * to the signature's length (bench/README.md has the figure).
 */
export function hasCanonicalSignature(token: string): boolean {
  const start = token.lastIndexOf(".") + 1;
  const length = token.length - start;
  const remainder = length % 4;
  if (remainder === 0) return true;
  if (remainder === 1) return false;
  const last = BASE64URL.indexOf(token.charAt(token.length - 1));
  // 2 characters carry 1 byte (4 bits spare), 3 carry 2 bytes (2 bits spare).
  return last >= 0 && (last & (remainder === 2 ? 0b1111 : 0b11)) === 0;
}

/** The hot path (a cached key set, one key for the token) is one jose call: no wrapper promise around it. */
async function verifyAgainstSource(
  source: KeySource,
  token: string,
  options: JWTVerifyOptions,
  webhookId: string | undefined,
): Promise<JWTVerifyResult> {
  const current = source.current();
  const keySet = current instanceof Promise ? await current : current;
  try {
    return await jwtVerify(token, keySet.jwt, options);
  } catch (error) {
    if (error instanceof errors.JWKSMultipleMatchingKeys)
      return verifyWithEachKey(error, token, options).catch((cause: unknown) => throwFromJose(cause, webhookId));
    if (!(error instanceof errors.JWKSNoMatchingKey)) throw fromJose(error, webhookId);
    // An unknown kid may be a key published since the set was fetched (rotation): refetch, cooldown permitting.
    const newer = await source.refreshForUnknownKey(keySet);
    if (!newer) throw fromJose(error, webhookId);
    try {
      return await verifyWithKeySet(newer, token, options);
    } catch (retryError) {
      throw fromJose(retryError, webhookId);
    }
  }
}

/**
 * Keys one JWT may be verified with when its `kid` does not single one out (no `kid`, or one shared by
 * several keys): a token names its key precisely so that this is not needed, and a forged kid-less token
 * must not cost one verification per key of a large set. 4 covers Gemini's three published keys during a
 * rotation. With `MAX_JWT_ENTRIES` tokens per header, a request costs at most 2 × 4 JWT verifications.
 */
export const MAX_JWT_KEYS_PER_TOKEN = 4;

async function verifyWithKeySet(keySet: KeySet, token: string, options: JWTVerifyOptions): Promise<JWTVerifyResult> {
  try {
    return await jwtVerify(token, keySet.jwt, options);
  } catch (error) {
    if (!(error instanceof errors.JWKSMultipleMatchingKeys)) throw error;
    return verifyWithEachKey(error, token, options);
  }
}

/**
 * Several keys fit the token's alg (and kid, if any): try them in the set's order, up to the bound; jose
 * imports each once per set.
 */
async function verifyWithEachKey(
  candidates: errors.JWKSMultipleMatchingKeys,
  token: string,
  options: JWTVerifyOptions,
): Promise<JWTVerifyResult> {
  let tried = 0;
  for await (const key of candidates) {
    if (tried++ === MAX_JWT_KEYS_PER_TOKEN) break;
    try {
      return await jwtVerify(token, key, options);
    } catch (keyError) {
      if (!(keyError instanceof errors.JWSSignatureVerificationFailed)) throw keyError;
    }
  }
  throw new errors.JWSSignatureVerificationFailed();
}

function checkFreshness(
  claims: JWTPayload,
  headers: TokenOnlyHeaders,
  nowSeconds: number,
  toleranceSeconds: number,
): void {
  // jose checked exp and nbf (and that iat, if present, is a number); it checks iat's age only when asked.
  const { iat, exp } = claims;
  if (iat !== undefined && iat - nowSeconds > toleranceSeconds) {
    throw new WebhookError("timestamp_too_new", { webhookId: headers.id, detail: "the JWT's iat is in the future" });
  }
  if (exp !== undefined) return;
  if (iat !== undefined) {
    // Without exp, the token is only as fresh as its iat: the same window as webhook-timestamp.
    if (nowSeconds - iat > toleranceSeconds) {
      throw new WebhookError("timestamp_too_old", {
        webhookId: headers.id,
        detail: "the JWT has no exp and its iat is too old",
      });
    }
  } else if (headers.timestamp === undefined) {
    throw new WebhookError("missing_headers", {
      webhookId: headers.id,
      detail: "the JWT has neither iat nor exp and there is no webhook-timestamp: nothing shows the delivery is fresh",
    });
  }
}

function deliveryId(claims: JWTPayload, headers: TokenOnlyHeaders): string {
  const { jti } = claims;
  if (headers.id !== undefined) {
    if (jti !== undefined && jti !== headers.id) {
      throw new WebhookError("invalid_signature", {
        webhookId: headers.id,
        detail: "the JWT's jti differs from webhook-id",
      });
    }
    return headers.id;
  }
  if (jti === undefined) {
    throw new WebhookError("missing_headers", {
      detail: "webhook-id is missing and the JWT has no jti to identify the delivery (needed to drop duplicates)",
    });
  }
  if (typeof jti !== "string" || !isUsableWebhookId(jti)) {
    throw new WebhookError("invalid_headers", { detail: "the JWT's jti cannot serve as a webhook-id" });
  }
  return jti;
}

function throwFromJose(error: unknown, webhookId: string | undefined): never {
  throw fromJose(error, webhookId);
}

/**
 * The token's own `aud`, for the `onError` detail (never the HTTP answer): a token refused on its audience alone
 * usually means `jwks.audience` differs from what the webhook was created with, and this shows what it was.
 * jose checks the signature before the claims, so this is what a trusted key signed; it is cut short anyway.
 */
function audienceGiven(payload: JWTPayload): string {
  const aud = JSON.stringify(payload.aud ?? null);
  return ` (the token's aud is ${aud.length > 200 ? `${aud.slice(0, 200)}…` : aud}; compare it with jwks.audience)`;
}

/** jose's stable error codes → our answers: expiry and not-yet-valid are timestamp errors, the rest a bad signature. */
function fromJose(error: unknown, webhookId: string | undefined): WebhookError {
  if (isWebhookError(error)) return error;
  if (error instanceof errors.JWTExpired) {
    return new WebhookError("timestamp_too_old", {
      webhookId,
      cause: error,
      detail: `JWT ${error.claim} check failed`,
    });
  }
  if (error instanceof errors.JWTClaimValidationFailed) {
    const tooNew = error.claim === "nbf" || (error.claim === "iat" && error.reason === "check_failed");
    return new WebhookError(tooNew ? "timestamp_too_new" : "invalid_signature", {
      webhookId,
      cause: error,
      detail: `JWT claim "${error.claim}": ${error.reason}${error.claim === "aud" ? audienceGiven(error.payload) : ""}`,
    });
  }
  const code = (error as { code?: unknown } | null)?.code;
  return new WebhookError("invalid_signature", {
    webhookId,
    cause: error,
    detail: `JWT rejected (${typeof code === "string" ? code : "error"})`,
  });
}

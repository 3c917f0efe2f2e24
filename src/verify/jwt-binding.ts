import { base64Encode, base64UrlEncode, hexEncode, utf8Decode } from "../bytes.js";
import type { CryptoProvider } from "../crypto/provider.js";
import type { JWTPayload } from "jose";
import { WebhookError } from "../errors.js";
import type { AnyGeminiEvent } from "../events.js";

/**
 * Claims a sender could use to bind a token to the body: the base64, base64url or hex SHA-256 of the
 * raw body, optionally prefixed `sha256:` or `sha256=`. Gemini documents none; these are checked when present.
 */
export const BODY_DIGEST_CLAIMS = ["body_sha256", "payload_sha256", "body_hash", "payload_hash"] as const;

/** Event envelope fields compared with the body when the claims carry the event (a string `type`). */
export const BOUND_EVENT_FIELDS = ["type", "version", "timestamp", "data"] as const;

/** Registered JWT claims: not part of an event taken from the claims. */
const REGISTERED_CLAIMS = new Set(["iss", "sub", "aud", "exp", "nbf", "iat", "jti"]);

/**
 * Checks what a verified token says about the body. The docs define no binding, so only what the
 * claims carry is checked:
 * - a body digest claim must equal the SHA-256 of the raw body;
 * - claims with a string `type` are the event (the docs' samples decode the token into the event):
 *   with a body, the body's `type`, `version`, `timestamp` and `data` must equal those the claims carry;
 *   with an empty body, the event is taken from the claims (registered claims left out).
 * Returns the event when it comes from the claims; throws `invalid_signature` on any mismatch.
 */
export async function checkBodyBinding(
  claims: JWTPayload,
  body: Uint8Array,
  webhookId: string | undefined,
  crypto: CryptoProvider,
): Promise<AnyGeminiEvent | undefined> {
  let digest: Uint8Array | undefined;
  for (const name of BODY_DIGEST_CLAIMS) {
    if (claims[name] === undefined) continue;
    digest ??= await crypto.sha256(body);
    if (!digestMatches(claims[name], digest)) {
      throw mismatch(webhookId, `the body's SHA-256 does not match the token's "${name}" claim`);
    }
  }
  if (typeof claims.type !== "string" || claims.type === "") return undefined;
  if (body.length === 0) return eventFromClaims(claims);
  let parsed: unknown;
  try {
    parsed = JSON.parse(utf8Decode(body));
  } catch {
    throw mismatch(webhookId, "the token carries an event but the body is not JSON");
  }
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
    throw mismatch(webhookId, "the token carries an event but the body is not a JSON object");
  }
  for (const field of BOUND_EVENT_FIELDS) {
    if (field in claims && !sameJson(claims[field], (parsed as Record<string, unknown>)[field])) {
      throw mismatch(webhookId, `the body's "${field}" differs from the token's`);
    }
  }
  return undefined;
}

/**
 * The event the claims carry, shaped as JSON.parse would shape the same body: every claim an own data
 * property. Assigning (`event[name] = value`) would run the `__proto__` setter for a `"__proto__"` claim
 * and make the attacker's object the event's prototype; defining the property cannot.
 */
function eventFromClaims(claims: JWTPayload): AnyGeminiEvent {
  const event: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(claims)) {
    if (REGISTERED_CLAIMS.has(name)) continue;
    Object.defineProperty(event, name, { value, enumerable: true, writable: true, configurable: true });
  }
  return event as AnyGeminiEvent;
}

function digestMatches(claim: unknown, digest: Uint8Array): boolean {
  if (typeof claim !== "string") return false;
  const given = claim.replace(/^sha-?256[:=]/i, "");
  const base64 = base64Encode(digest);
  return (
    given.toLowerCase() === hexEncode(digest) ||
    given === base64 ||
    given === base64.replace(/=+$/, "") ||
    given === base64UrlEncode(digest)
  );
}

/** Structural JSON equality: key order does not matter, everything else does. */
function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const other = b as unknown[];
    return a.length === other.length && a.every((item, index) => sameJson(item, other[index]));
  }
  const aKeys = Object.keys(a);
  const bRecord = b as Record<string, unknown>;
  if (aKeys.length !== Object.keys(bRecord).length) return false;
  return aKeys.every(
    (key) => Object.hasOwn(bRecord, key) && sameJson((a as Record<string, unknown>)[key], bRecord[key]),
  );
}

function mismatch(webhookId: string | undefined, detail: string): WebhookError {
  return new WebhookError("invalid_signature", { webhookId, detail });
}

import { canonicalBase64, constantTimeEqual } from "../bytes.js";
import type { CryptoProvider, HmacKey } from "../crypto/provider.js";
import { andThen, type MaybePromise } from "../maybe-promise.js";
import { decodeSecret } from "./secret.js";
import type { SignatureEntry } from "./signature-list.js";

/** Checks `v1` (HMAC-SHA256) entries against each configured secret; the index of the secret that matched, or -1. */
export type HmacVerifier = (
  entries: readonly SignatureEntry[],
  id: string,
  timestamp: number,
  body: Uint8Array,
) => MaybePromise<number>;

const HMAC_SHA256_BYTES = 32;

/**
 * `v1` over the exact bytes received: each secret is decoded and turned into a key once, each request costs
 * one HMAC per secret whatever the number of entries. Synchronous with node:crypto, a promise with WebCrypto.
 * (standardwebhooks, the reference implementation, hashes the body decoded as UTF-8 text, in pure JS:
 * slower, and blind to invalid bytes. It stays as the reference the tests check this against.)
 */
export function createHmacVerifier(secrets: readonly string[], crypto: CryptoProvider): HmacVerifier {
  const keys = secrets.map((secret) => crypto.hmacKey(decodeSecret(secret)!));
  return (entries, id, timestamp, body) => {
    const given = decodeV1Signatures(entries);
    if (given.length === 0) return -1;
    return firstMatch(crypto, keys, given, `${id}.${timestamp}.`, body, 0);
  };
}

// One key after the other, synchronously as long as the provider is.
function firstMatch(
  crypto: CryptoProvider,
  keys: readonly HmacKey[],
  given: readonly Uint8Array[],
  signedPrefix: string,
  body: Uint8Array,
  index: number,
): MaybePromise<number> {
  if (index >= keys.length) return -1;
  return andThen(crypto.hmacSha256(keys[index]!, signedPrefix, body), (expected) => {
    for (const signature of given) if (constantTimeEqual(signature, expected)) return index;
    return firstMatch(crypto, keys, given, signedPrefix, body, index + 1);
  });
}

/**
 * The `v1` entries' 32-byte signatures. An entry counts only if it is the canonical base64 of its bytes:
 * one signature has exactly one accepted spelling.
 */
export function decodeV1Signatures(entries: readonly SignatureEntry[]): Uint8Array[] {
  const signatures: Uint8Array[] = [];
  for (const entry of entries) {
    if (entry.version !== "v1") continue;
    const signature = canonicalBase64(entry.value, HMAC_SHA256_BYTES);
    if (signature) signatures.push(signature);
  }
  return signatures;
}

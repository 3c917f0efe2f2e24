import { createHmac, createSecretKey, timingSafeEqual, type KeyObject } from "node:crypto";
import type { SignatureEntry } from "./signature-list.js";

/** Checks `v1` (HMAC-SHA256) entries against each configured secret; returns the index of the secret that matched, or -1. */
export type HmacVerifier = (entries: readonly SignatureEntry[], id: string, timestamp: number, body: Buffer) => number;

const HMAC_SHA256_BYTES = 32;

/**
 * `v1` with node:crypto (OpenSSL) over the exact bytes received: each secret is decoded and turned
 * into a KeyObject once, each request costs one HMAC per secret whatever the number of entries.
 * (standardwebhooks, the reference implementation, hashes the body decoded as UTF-8 text, in pure JS:
 * ~5x slower, and blind to invalid bytes. It stays as the reference the tests check this against.)
 */
export function createHmacVerifier(secrets: readonly string[]): HmacVerifier {
  const keys = secrets.map((secret) => createSecretKey(decodeSecret(secret)));
  return (entries, id, timestamp, body) => {
    const given = decodeV1Signatures(entries);
    if (given.length === 0) return -1;
    const signedPrefix = `${id}.${timestamp}.`;
    for (let index = 0; index < keys.length; index++) {
      const expected = hmacSha256(keys[index]!, signedPrefix, body);
      for (const signature of given) if (timingSafeEqual(signature, expected)) return index;
    }
    return -1;
  };
}

/** HMAC-SHA256 of `${id}.${timestamp}.` followed by the raw body bytes, as Standard Webhooks signs it. */
export function hmacSha256(key: KeyObject | Buffer, signedPrefix: string, body: Buffer): Buffer {
  return createHmac("sha256", key).update(signedPrefix).update(body).digest();
}

/**
 * The `v1` entries' 32-byte signatures. Buffer's base64 decoder is lenient (it skips unknown characters,
 * accepts base64url and missing padding, ignores the unused low bits of the last character), so an entry
 * counts only if it is the canonical base64 of its bytes: one signature has exactly one accepted spelling.
 */
export function decodeV1Signatures(entries: readonly SignatureEntry[]): Buffer[] {
  const signatures: Buffer[] = [];
  for (const entry of entries) {
    if (entry.version !== "v1") continue;
    const signature = Buffer.from(entry.value, "base64");
    if (signature.length !== HMAC_SHA256_BYTES || signature.toString("base64") !== entry.value) continue;
    signatures.push(signature);
  }
  return signatures;
}

/** The HMAC key a secret stands for: the base64 after an optional `whsec_` prefix, decoded. */
export function decodeSecret(secret: string): Buffer {
  return Buffer.from(secret.startsWith("whsec_") ? secret.slice("whsec_".length) : secret, "base64");
}

/** Throws a TypeError naming the problem if `secret` cannot be a Standard Webhooks signing secret. */
export function assertUsableSecret(secret: unknown, name: string): asserts secret is string {
  if (typeof secret !== "string" || secret.trim() === "") {
    throw new TypeError(`${name} must be a non-empty string (the signing secret Gemini returned, e.g. "whsec_...").`);
  }
  const encoded = secret.startsWith("whsec_") ? secret.slice("whsec_".length) : secret;
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(encoded) || encoded.length % 4 !== 0) {
    throw new TypeError(`${name} is not a valid signing secret: expected base64 after an optional "whsec_" prefix.`);
  }
  if (Buffer.from(encoded, "base64").length < 16) {
    throw new TypeError(`${name} is too short to be a signing secret (it decodes to fewer than 16 bytes).`);
  }
}

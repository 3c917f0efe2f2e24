import { isUtf8 } from "node:buffer";
import { timingSafeEqual } from "node:crypto";
import { Webhook } from "standardwebhooks";
import type { SignatureEntry } from "./signature-list.js";

/** Checks `v1` (HMAC-SHA256) entries against each configured secret; returns the index of the secret that matched, or -1. */
export type HmacVerifier = (entries: readonly SignatureEntry[], id: string, timestamp: number, body: Buffer) => number;

/**
 * One `standardwebhooks` Webhook per secret, built once. We use its `sign()` rather than `verify()`:
 * `verify()` checks the timestamp against the real clock with a fixed tolerance, which would make our
 * injectable clock and configurable tolerance meaningless.
 */
export function createHmacVerifier(secrets: readonly string[]): HmacVerifier {
  const signers = secrets.map((secret) => new Webhook(secret));
  return (entries, id, timestamp, body) => {
    const candidates = entries.filter((entry) => entry.version === "v1");
    if (candidates.length === 0) return -1;
    // standardwebhooks hashes the body decoded as UTF-8: invalid bytes would all decode to U+FFFD, so
    // different bodies would share a signature. Only valid UTF-8 decodes losslessly (JSON must be UTF-8).
    if (!isUtf8(body)) return -1;
    const date = new Date(timestamp * 1000);
    const payload = body.toString("utf8");
    for (let index = 0; index < signers.length; index++) {
      const expected = Buffer.from(signers[index]!.sign(id, date, payload).slice(3)); // drop "v1,"
      // Compare the base64 text, not decoded bytes: Buffer's base64 decoder is lenient, text is exact.
      for (const entry of candidates) {
        const given = Buffer.from(entry.value);
        if (given.length === expected.length && timingSafeEqual(given, expected)) return index;
      }
    }
    return -1;
  };
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

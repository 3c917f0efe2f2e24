import { base64Decode } from "../bytes.js";

/** The prefix Gemini (and Standard Webhooks) put before a signing secret's base64. */
export const SECRET_PREFIX = "whsec_";
/** Fewer key bytes than this cannot be a signing secret Gemini issued (it issues 24 or 32). */
export const MIN_SECRET_BYTES = 16;

/** The base64 part of a secret: what follows an optional `whsec_` prefix. */
export function secretBase64(secret: string): string {
  return secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : secret;
}

/**
 * The HMAC key a secret stands for, or `undefined` if it is not base64. Padded base64 and unpadded base64 are
 * both accepted, as the reference `standardwebhooks` library accepts them and derives the same key from both
 * (test/secret.test.ts checks this against it); the URL-safe alphabet is refused, as the library refuses it.
 */
export function decodeSecret(secret: string): Uint8Array | undefined {
  const encoded = secretBase64(secret);
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(encoded)) return undefined;
  const unpadded = encoded.replace(/=+$/, "");
  if (unpadded.length % 4 === 1) return undefined;
  const padded = unpadded + "=".repeat((4 - (unpadded.length % 4)) % 4);
  // Padding, when given, must be exactly what the length needs.
  if (encoded !== unpadded && encoded !== padded) return undefined;
  return base64Decode(padded);
}

/**
 * What is wrong with a secret, as a sentence that follows `option "secret" ` (it never quotes the value), or
 * `undefined` when it is a usable signing secret.
 */
export function secretProblem(secret: unknown): string | undefined {
  if (typeof secret !== "string")
    return `must be a string (the signing secret Gemini returned, e.g. "whsec_..."), got ${typeof secret}`;
  if (secret.trim() === "") return 'is empty: pass the signing secret Gemini returned (e.g. "whsec_...")';
  if (/[\r\n]$/.test(secret)) return "ends with a newline (a pasted value?): remove it";
  if (/^\s|\s$/.test(secret)) return "starts or ends with whitespace (a pasted value?): remove it";
  if (/^["'`]|["'`]$/.test(secret)) return "is wrapped in quotes (copied from a .env or JSON file?): remove them";
  if (/\s/.test(secret)) return "contains whitespace: a signing secret is one unbroken base64 string";
  if (!secret.startsWith(SECRET_PREFIX) && secret.toLowerCase().startsWith(SECRET_PREFIX)) {
    return `starts with "${secret.slice(0, SECRET_PREFIX.length)}": the prefix is lower-case "${SECRET_PREFIX}"`;
  }
  const encoded = secretBase64(secret);
  if (encoded.startsWith(SECRET_PREFIX)) return `has the "${SECRET_PREFIX}" prefix twice: keep one`;
  if (/[-_]/.test(encoded) && /^[A-Za-z0-9_-]+=*$/.test(encoded)) {
    return 'uses the URL-safe base64 alphabet ("-" or "_"): Standard Webhooks secrets are standard base64 ("+" and "/")';
  }
  const unpadded = encoded.replace(/=+$/, "");
  if (/^[A-Za-z0-9+/]*=*$/.test(encoded) && unpadded.length % 4 === 1) {
    const minCharacters = Math.ceil((MIN_SECRET_BYTES * 4) / 3);
    if (unpadded.length < minCharacters) {
      return `is too short: ${unpadded.length} base64 characters after the prefix, a signing secret has at least ${minCharacters} (was it cut off?)`;
    }
    // The reference library silently drops the odd character and derives a key Gemini never issued.
    return `has ${unpadded.length} base64 characters after the prefix, which no key encodes to (one too many or too few: was it cut off or mistyped?)`;
  }
  if (/^[A-Za-z0-9+/]*=+$/.test(encoded) && decodeSecret(secret) === undefined) {
    return `ends with padding ("=") its length does not call for: ${(4 - (unpadded.length % 4)) % 4} "=" fit${unpadded.length % 4 === 0 ? " (none)" : ""}, copy it again`;
  }
  const key = decodeSecret(secret);
  if (key === undefined)
    return `is not a valid signing secret: expected base64 after an optional "${SECRET_PREFIX}" prefix`;
  if (key.length < MIN_SECRET_BYTES) {
    return `is too short: it decodes to ${key.length} bytes, a signing secret has at least ${MIN_SECRET_BYTES} (was it cut off?)`;
  }
  return undefined;
}

/**
 * Throws a TypeError `<subject> <problem>.` if `secret` cannot be a Standard Webhooks signing secret. `subject`
 * names where the value came from: `geminiWebhooks: option "secret"`, `--secret`, `GEMINI_WEBHOOK_SECRET`.
 */
export function assertUsableSecret(secret: unknown, subject: string): asserts secret is string {
  const problem = secretProblem(secret);
  if (problem !== undefined) throw new TypeError(`${subject} ${problem}.`);
}

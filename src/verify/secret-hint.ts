import { base64Decode, bytesEqual, constantTimeEqual, utf8Encode } from "../bytes.js";
import type { CryptoProvider, HmacKey } from "../crypto/provider.js";
import { andThen, type MaybePromise } from "../maybe-promise.js";
import { decodeV1Signatures } from "./hmac.js";
import { SECRET_PREFIX, decodeSecret, secretBase64 } from "./secret.js";
import type { SignatureEntry } from "./signature-list.js";

/**
 * Diagnoses a failed `v1` signature: does it match one of the usual ways of deriving the HMAC key from
 * the secret wrongly? Returns a sentence naming the mistake, or `undefined`. Never loosens anything:
 * the delivery stays refused (401 `invalid_signature`); the hint only goes to `onError`, never into a
 * response.
 */
export type SecretHinter = (
  entries: readonly SignatureEntry[],
  id: string,
  timestamp: number,
  body: Uint8Array,
) => MaybePromise<string | undefined>;

/**
 * Hints cost one HMAC per (secret, mistake) pair, at most `MAX_HINT_SECRETS` × 5, and only after a
 * signature failed: a flood of forged requests must not turn that into CPU. A token bucket per receiver
 * allows `HINT_BURST` diagnoses at once and `HINTS_PER_SECOND` after that; beyond it a failure simply
 * gets no hint. A misconfigured sender fails on every delivery, so the hint still shows up at once.
 */
export const HINTS_PER_SECOND = 1;
export const HINT_BURST = 5;
/** Only the first secrets are diagnosed (during a rotation the list holds two). */
export const MAX_HINT_SECRETS = 2;

interface Mistake {
  key: HmacKey;
  hint: string;
}

/** The keys a sender would have used by mistake, for each configured secret (computed once). */
function mistakesOf(secret: string, index: number, count: number, crypto: CryptoProvider): Mistake[] {
  const encoded = secretBase64(secret);
  const prefixed = `${SECRET_PREFIX}${encoded}`;
  const which = count > 1 ? ` (secret[${index}] of the list)` : "";
  const candidates: Array<[Uint8Array | undefined, string]> = [
    [
      utf8Encode(encoded),
      `The signature matches the secret${which} used as UTF-8 text rather than base64-decoded bytes: ` +
        `the sender keyed its HMAC with the base64 string itself. Decode the part after "whsec_" from base64 and use those bytes as the key.`,
    ],
    [
      utf8Encode(prefixed),
      `The signature matches the whole secret${which}, "whsec_" prefix included, used as UTF-8 text: ` +
        `the sender keyed its HMAC with the string as shown. Strip "whsec_" and base64-decode the rest to get the key.`,
    ],
  ];
  // Decoding "whsec_..." as a whole: lenient decoders either read "_" as base64url (Node's Buffer) or
  // skip it (Python's b64decode without validate=True); strict ones (Java, Go) throw instead.
  for (const spelling of [prefixed, SECRET_PREFIX.slice(0, -1) + encoded]) {
    candidates.push([
      lenientBase64(spelling),
      `The signature matches the secret${which} base64-decoded with its "whsec_" prefix still in it: ` +
        `the sender decoded "whsec_..." as a whole. Strip "whsec_" before decoding.`,
    ]);
  }
  // A secret stored base64-encoded once more (e.g. a Kubernetes Secret value copied without decoding):
  // what it decodes to is itself a secret, and the sender signs with that one's key.
  const once = String.fromCharCode(...decodeSecret(secret)!);
  const inner = secretBase64(once);
  if (/^[A-Za-z0-9+/]+={0,2}$/.test(inner) && inner.length % 4 === 0 && inner.length >= 16) {
    candidates.push([
      base64Decode(inner),
      `The signature matches the secret${which} base64-decoded twice: the value given to this receiver was base64-encoded ` +
        `once more (it decodes to ${once !== inner ? `"whsec_..."` : "base64 text"}). Configure the receiver with the decoded value.`,
    ]);
  }
  const real = decodeSecret(secret)!;
  const kept: Array<[Uint8Array, string]> = [];
  for (const [key, hint] of candidates) {
    if (key === undefined || key.length === 0 || bytesEqual(key, real)) continue;
    if (!kept.some(([other]) => bytesEqual(other, key))) kept.push([key, hint]);
  }
  return kept.map(([key, hint]) => ({ key: crypto.hmacKey(key), hint }));
}

/**
 * What a lenient decoder makes of "whsec_..." decoded whole: "_" read as base64url's "/" (Node's Buffer, among
 * others), any other character outside the alphabet skipped, padding ignored.
 */
function lenientBase64(text: string): Uint8Array | undefined {
  const digits = text
    .replace(/-/g, "+")
    .replace(/_/g, "/")
    .replace(/[^A-Za-z0-9+/]/g, "");
  const usable = digits.slice(0, digits.length - (digits.length % 4 === 1 ? 1 : 0));
  return base64Decode(usable + "=".repeat((4 - (usable.length % 4)) % 4));
}

/** A hinter over the configured secrets, rate-limited on the receiver's clock (`now`, in ms). */
export function createSecretHinter(
  secrets: readonly string[],
  now: () => number,
  crypto: CryptoProvider,
): SecretHinter {
  const considered = secrets.slice(0, MAX_HINT_SECRETS);
  const mistakes = considered.flatMap((secret, index) => mistakesOf(secret, index, considered.length, crypto));
  let tokens = HINT_BURST;
  let refilledAt = now();

  const takeToken = (): boolean => {
    const at = now();
    tokens = Math.min(HINT_BURST, tokens + (Math.max(0, at - refilledAt) / 1000) * HINTS_PER_SECOND);
    refilledAt = at;
    if (tokens < 1) return false;
    tokens -= 1;
    return true;
  };

  return (entries, id, timestamp, body) => {
    const given = decodeV1Signatures(entries);
    if (given.length === 0 || mistakes.length === 0 || !takeToken()) return undefined;
    const signedPrefix = `${id}.${timestamp}.`;
    const tryFrom = (index: number): MaybePromise<string | undefined> => {
      const mistake = mistakes[index];
      if (!mistake) return undefined;
      return andThen(crypto.hmacSha256(mistake.key, signedPrefix, body), (expected) =>
        given.some((signature) => constantTimeEqual(signature, expected)) ? mistake.hint : tryFrom(index + 1),
      );
    };
    return tryFrom(0);
  };
}

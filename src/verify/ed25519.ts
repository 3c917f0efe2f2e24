import { canonicalBase64, concatBytes, utf8Encode } from "../bytes.js";
import type { CryptoProvider } from "../crypto/provider.js";
import type { WebhookHeaders } from "./headers.js";
import { thumbprint, type Ed25519Key, type KeySet, type KeySource } from "./jwks.js";
import type { SignatureEntry } from "./signature-list.js";

/** A `v1a` signature that verified, and the key that made it. */
export interface Ed25519Match {
  keyId: string;
}

/** Checks `v1a` entries; `undefined` when none verifies (after one refresh of the key set, cooldown permitting). */
export type V1aVerifier = (
  entries: readonly SignatureEntry[],
  headers: WebhookHeaders,
  body: Uint8Array,
) => Ed25519Match | undefined | Promise<Ed25519Match | undefined>;

/**
 * Each entry costs one Ed25519 verification per key (the entry names no key): a header stuffed with
 * forged entries must not cost more. A sender rotating keys needs two.
 */
export const MAX_V1A_ENTRIES = 3;
/**
 * Ed25519 verifications one request may cost against one version of the key set, whatever the set's
 * size: entries tried × keys tried per entry. 9 covers Gemini's published set (three keys) against up to
 * three entries, or one entry against up to nine keys. A refetch for an unknown key (at most once per
 * `cooldownMs`, and only when the set changed) allows one more round against the new version.
 */
export const MAX_V1A_VERIFICATIONS = 9;
const ED25519_SIGNATURE_BYTES = 64;

/**
 * Standard Webhooks `v1a`: base64 Ed25519 signature over `${webhook-id}.${webhook-timestamp}.${body}`,
 * tried against every Ed25519 key of the set (the entry names no key); keys were imported when the set
 * was fetched.
 */
export function createV1aVerifier(source: KeySource, crypto: CryptoProvider): V1aVerifier {
  return (entries, headers, body) => {
    const signatures = decodeSignatures(entries);
    if (signatures.length === 0) return undefined;
    // The timestamp exactly as sent: it is what was signed.
    const message = concatBytes([utf8Encode(`${headers.id}.${headers.timestampText}.`), body]);
    const matchOrRefresh = async (keySet: KeySet): Promise<Ed25519Match | undefined> =>
      (await match(crypto, keySet, signatures, message)) ??
      // Maybe signed by a key published since the set was fetched (rotation): refetch once, cooldown permitting.
      source
        .refreshForUnknownKey(keySet)
        .then((newer) => (newer ? match(crypto, newer, signatures, message) : undefined));
    const keySet = source.current();
    return keySet instanceof Promise ? keySet.then(matchOrRefresh) : matchOrRefresh(keySet);
  };
}

/**
 * Per key set: the key that verified last (the sender signs with one key at a time, so trying it first makes
 * a genuine delivery cost one verification), and, for a set larger than a request's budget, where the
 * window of other keys to try starts: it moves on with each request, so a key beyond the budget is still
 * reached within a few deliveries (Gemini retries a refused one) and is tried first once it verified.
 */
export interface KeyOrder {
  lastMatched: number;
  cursor: number;
}
const keyOrders = new WeakMap<KeySet, KeyOrder>();

/** Indexes of the keys to try for one request: the last matched first, then up to `count - 1` others. */
export function keysToTry(order: KeyOrder, keyCount: number, count: number): number[] {
  const first = order.lastMatched < keyCount ? order.lastMatched : 0;
  const indexes = [first];
  if (count >= keyCount) {
    for (let offset = 1; offset < keyCount; offset++) indexes.push((first + offset) % keyCount);
    return indexes;
  }
  let next = order.cursor % keyCount;
  while (indexes.length < count) {
    if (next !== first) indexes.push(next);
    next = (next + 1) % keyCount;
  }
  order.cursor = next;
  return indexes;
}

async function match(
  crypto: CryptoProvider,
  keySet: KeySet,
  signatures: readonly Uint8Array[],
  message: Uint8Array,
): Promise<Ed25519Match | undefined> {
  const keys = keySet.ed25519;
  if (keys.length === 0) return undefined;
  let order = keyOrders.get(keySet);
  if (!order) keyOrders.set(keySet, (order = { lastMatched: 0, cursor: 0 }));
  const keysPerEntry = Math.max(1, Math.floor(MAX_V1A_VERIFICATIONS / signatures.length));
  const indexes = keysToTry(order, keys.length, keysPerEntry);
  for (const signature of signatures) {
    for (const index of indexes) {
      const key = keys[index]!;
      if (await crypto.verifyEd25519(key.key, message, signature)) {
        order.lastMatched = index;
        return { keyId: await keyIdOf(crypto, key) };
      }
    }
  }
  return undefined;
}

function decodeSignatures(entries: readonly SignatureEntry[]): Uint8Array[] {
  const signatures: Uint8Array[] = [];
  for (const entry of entries) {
    if (entry.version !== "v1a") continue;
    // Only the canonical text of a 64-byte signature: one signature, one accepted spelling.
    const signature = canonicalBase64(entry.value, ED25519_SIGNATURE_BYTES);
    if (!signature) continue;
    signatures.push(signature);
    if (signatures.length === MAX_V1A_ENTRIES) break;
  }
  return signatures;
}

/** The key's `kid`, or its RFC 7638 thumbprint (computed on its first match, then kept). */
async function keyIdOf(crypto: CryptoProvider, key: Ed25519Key): Promise<string> {
  if (key.keyId === undefined) key.keyId = await thumbprint(crypto, key.x);
  return key.keyId;
}

import { verify, type KeyObject } from "node:crypto";
import type { WebhookHeaders } from "./headers.js";
import type { KeySet, KeySource } from "./jwks.js";
import type { SignatureEntry } from "./signature-list.js";

/** A `v1a` signature that verified, and the key that made it. */
export interface Ed25519Match {
  keyId: string;
}

/** Checks `v1a` entries; `undefined` when none verifies (after one refresh of the key set, cooldown permitting). */
export type V1aVerifier = (
  entries: readonly SignatureEntry[],
  headers: WebhookHeaders,
  body: Buffer,
) => Ed25519Match | undefined | Promise<Ed25519Match | undefined>;

/**
 * Each entry costs one Ed25519 verification per key (the entry names no key): a header stuffed with
 * forged entries must not cost more. A sender rotating keys needs two.
 */
export const MAX_V1A_ENTRIES = 3;
const ED25519_SIGNATURE_BYTES = 64;

/**
 * Standard Webhooks `v1a`: base64 Ed25519 signature over `${webhook-id}.${webhook-timestamp}.${body}`,
 * tried against every Ed25519 key of the set (the entry names no key); keys were imported when the set
 * was fetched.
 */
export function createV1aVerifier(source: KeySource): V1aVerifier {
  return (entries, headers, body) => {
    const signatures = decodeSignatures(entries);
    if (signatures.length === 0) return undefined;
    // The timestamp exactly as sent: it is what was signed.
    const message = Buffer.concat([Buffer.from(`${headers.id}.${headers.timestampText}.`), body]);
    const matchOrRefresh = async (keySet: KeySet): Promise<Ed25519Match | undefined> =>
      (await match(keySet, signatures, message)) ??
      // Maybe signed by a key published since the set was fetched (rotation): refetch once, cooldown permitting.
      source.refreshForUnknownKey(keySet).then((newer) => (newer ? match(newer, signatures, message) : undefined));
    const keySet = source.current();
    return keySet instanceof Promise ? keySet.then(matchOrRefresh) : matchOrRefresh(keySet);
  };
}

// Per key set, the key that verified last: the sender signs with one key at a time, so trying it
// first makes a genuine delivery cost one verification instead of up to one per key.
const lastMatched = new WeakMap<KeySet, number>();

// Verified on libuv's thread pool (crypto.verify with a callback), not on the event loop: one Ed25519 check
// costs about as much CPU as a whole Express request, and measured over HTTP the async form serves ~1.6x the
// deliveries per second (npm run bench -- --only receiver-v1a: 0.36x -> 0.55-0.60x floor) with a lower p99.
async function match(keySet: KeySet, signatures: readonly Buffer[], message: Buffer): Promise<Ed25519Match | undefined> {
  const keys = keySet.ed25519;
  const first = lastMatched.get(keySet) ?? 0;
  for (const signature of signatures) {
    for (let offset = 0; offset < keys.length; offset++) {
      const index = (first + offset) % keys.length;
      const { key, keyId } = keys[index]!;
      if (await verifyOffLoop(message, key, signature)) {
        if (index !== first) lastMatched.set(keySet, index);
        return { keyId };
      }
    }
  }
  return undefined;
}

function decodeSignatures(entries: readonly SignatureEntry[]): Buffer[] {
  const signatures: Buffer[] = [];
  for (const entry of entries) {
    if (entry.version !== "v1a") continue;
    const signature = Buffer.from(entry.value, "base64");
    // Buffer's base64 decoder is lenient: accept only the canonical text of a 64-byte signature.
    if (signature.length !== ED25519_SIGNATURE_BYTES || signature.toString("base64") !== entry.value) continue;
    signatures.push(signature);
    if (signatures.length === MAX_V1A_ENTRIES) break;
  }
  return signatures;
}

function verifyOffLoop(message: Buffer, key: KeyObject, signature: Buffer): Promise<boolean> {
  return new Promise((resolve, reject) => verify(null, message, key, signature, (error, valid) => (error ? reject(error) : resolve(valid))));
}

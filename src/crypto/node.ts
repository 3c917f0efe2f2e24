import { createHash, createHmac, createPublicKey, createSecretKey, verify, type KeyObject } from "node:crypto";
import type { CryptoProvider, Ed25519PublicKey, HmacKey } from "./provider.js";

interface NodeHmacKey extends HmacKey {
  readonly key: KeyObject;
}
interface NodeEd25519Key extends Ed25519PublicKey {
  readonly key: KeyObject;
}

/**
 * node:crypto (OpenSSL). HMAC is synchronous: a `v1` delivery is verified without a promise, which is the
 * cheaper path on Node (bench/README.md compares it with WebCrypto's).
 */
export const nodeCrypto: CryptoProvider = {
  name: "node",
  hmacKey: (secretBytes) => ({ kind: "hmac", key: createSecretKey(secretBytes) }) as NodeHmacKey,
  hmacSha256: (key, prefix, body) =>
    createHmac("sha256", (key as NodeHmacKey).key)
      .update(prefix)
      .update(body)
      .digest(),
  ed25519Key: (x) =>
    ({
      kind: "ed25519",
      key: createPublicKey({ key: { kty: "OKP", crv: "Ed25519", x }, format: "jwk" }),
    }) as NodeEd25519Key,
  // On libuv's thread pool (crypto.verify with a callback), not on the event loop: one Ed25519 check costs about
  // as much CPU as a whole Express request, and the callback form serves more deliveries per second over HTTP.
  verifyEd25519: (key, message, signature) =>
    new Promise((resolve, reject) =>
      verify(null, message, (key as NodeEd25519Key).key, signature, (error, valid) =>
        error ? reject(error) : resolve(valid),
      ),
    ),
  sha256: (data) => createHash("sha256").update(data).digest(),
};

import type { MaybePromise } from "../maybe-promise.js";

/**
 * The cryptography the receiver needs, behind one seam: `node:crypto` under Node (src/crypto/node.ts,
 * synchronous HMAC: the hot path stays free of promises) and WebCrypto everywhere else (src/crypto/web.ts,
 * asynchronous). The two entries (src/index.ts, src/index.web.ts) pick one; nothing else imports either.
 */
export interface CryptoProvider {
  /** Which implementation, for reports and tests. */
  readonly name: "node" | "web";
  /** Prepares an HMAC-SHA256 key once (a KeyObject, or a CryptoKey imported on first use). */
  hmacKey(secretBytes: Uint8Array): HmacKey;
  /** HMAC-SHA256 over `prefix` (UTF-8) followed by `body`. */
  hmacSha256(key: HmacKey, prefix: string, body: Uint8Array): MaybePromise<Uint8Array>;
  /** Prepares an Ed25519 public key from its JWK `x` (base64url); throws if `x` cannot be one. */
  ed25519Key(x: string): Ed25519PublicKey;
  /** Ed25519 verification (never on the event loop's critical path where the runtime can avoid it). */
  verifyEd25519(key: Ed25519PublicKey, message: Uint8Array, signature: Uint8Array): Promise<boolean>;
  sha256(data: Uint8Array): MaybePromise<Uint8Array>;
}

/** Opaque to everything but the provider that made it. */
export interface HmacKey {
  readonly kind: "hmac";
}
export interface Ed25519PublicKey {
  readonly kind: "ed25519";
}

// Types only (erased from the build): the package compiles without the DOM library, whose WebCrypto types these are.
import type { webcrypto } from "node:crypto";
import { base64UrlDecode, concatBytes, utf8Encode } from "../bytes.js";
import type { CryptoProvider, Ed25519PublicKey, HmacKey } from "./provider.js";

interface WebHmacKey extends HmacKey {
  readonly raw: Uint8Array;
  imported?: Promise<webcrypto.CryptoKey>;
}
interface WebEd25519Key extends Ed25519PublicKey {
  readonly raw: Uint8Array;
  imported?: Promise<webcrypto.CryptoKey>;
}

const ED25519_PUBLIC_KEY_BYTES = 32;

// `crypto.subtle` is read when used, not at import: a runtime without WebCrypto fails on its first delivery
// with a clear error, not on import.
function subtle(): webcrypto.SubtleCrypto {
  const found = (globalThis as { crypto?: webcrypto.Crypto }).crypto?.subtle;
  if (!found) throw new Error("gemini-webhooks-express: this runtime has no WebCrypto (globalThis.crypto.subtle)");
  return found;
}

// WebCrypto's BufferSource wants an ArrayBuffer-backed view; a Uint8Array over a SharedArrayBuffer is copied.
function source(bytes: Uint8Array): Uint8Array<ArrayBuffer> {
  return bytes.buffer instanceof ArrayBuffer ? (bytes as Uint8Array<ArrayBuffer>) : new Uint8Array(bytes);
}

/**
 * WebCrypto (`crypto.subtle`): the same answers as node:crypto on every runtime that has it (workerd,
 * Vercel Edge, Deno, Bun, browsers, Node). Every call is asynchronous; each key is imported once, on first
 * use, and the import's promise is kept with the key.
 */
export const webCrypto: CryptoProvider = {
  name: "web",
  hmacKey: (secretBytes) => ({ kind: "hmac", raw: new Uint8Array(secretBytes) }) as WebHmacKey,
  async hmacSha256(key, prefix, body) {
    const hmac = key as WebHmacKey;
    hmac.imported ??= subtle().importKey("raw", source(hmac.raw), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
    const signed = await subtle().sign("HMAC", await hmac.imported, source(concatBytes([utf8Encode(prefix), body])));
    return new Uint8Array(signed);
  },
  ed25519Key(x) {
    const raw = base64UrlDecode(x);
    if (raw === undefined || raw.length !== ED25519_PUBLIC_KEY_BYTES) throw new Error("not an Ed25519 public key");
    return { kind: "ed25519", raw } as WebEd25519Key;
  },
  async verifyEd25519(key, message, signature) {
    const ed25519 = key as WebEd25519Key;
    ed25519.imported ??= subtle().importKey("raw", source(ed25519.raw), { name: "Ed25519" }, false, ["verify"]);
    return subtle().verify({ name: "Ed25519" }, await ed25519.imported, source(signature), source(message));
  },
  async sha256(data) {
    return new Uint8Array(await subtle().digest("SHA-256", source(data)));
  },
};

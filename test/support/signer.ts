// The one independent signer of the tests, the benchmark and the scripts: node:crypto only, nothing from
// src/ (nor jose, nor standardwebhooks), so every verification the receiver does is checked against a
// second implementation of the same specifications.
import { createHmac, generateKeyPairSync, sign, type KeyObject } from "node:crypto";
import type { JSONWebKeySet, JWK } from "jose";

export interface TestKey {
  /** The JWT alg this key signs with (Ed25519 keys also sign v1a). */
  alg: "RS256" | "ES256" | "EdDSA";
  kid: string | undefined;
  privateKey: KeyObject;
  publicKey: KeyObject;
  /** The public JWK as published (with `kid` when the key has one). */
  jwk: JWK;
}

/** What signing a JWT needs of a key: a `TestKey`, or a bare private key with its alg and kid. */
export type SigningKey = Pick<TestKey, "alg" | "kid" | "privateKey">;

let serial = 0;

/** A fresh key pair. `kid: null` publishes it without a key id (as Gemini reportedly does for Ed25519). */
export function makeKey(alg: TestKey["alg"], kidOrNull: string | null = `${alg.toLowerCase()}-${++serial}`): TestKey {
  const kid = kidOrNull ?? undefined;
  const pair =
    alg === "RS256"
      ? generateKeyPairSync("rsa", { modulusLength: 2048 })
      : alg === "ES256"
        ? generateKeyPairSync("ec", { namedCurve: "P-256" })
        : generateKeyPairSync("ed25519");
  const jwk: JWK = { ...pair.publicKey.export({ format: "jwk" }), use: "sig" };
  if (kid !== undefined) jwk.kid = kid;
  return { alg, kid, privateKey: pair.privateKey, publicKey: pair.publicKey, jwk };
}

/** The public key set publishing `keys`. */
export function keySet(...keys: TestKey[]): JSONWebKeySet {
  return { keys: keys.map((key) => key.jwk) };
}

/** What Standard Webhooks signs: `${id}.${timestamp}.${body}`, body as given (bytes stay bytes). */
function signedContent(id: string, timestamp: number | string, body: string | Buffer): Buffer {
  return Buffer.concat([Buffer.from(`${id}.${timestamp}.`), Buffer.from(body)]);
}

/** `v1`: base64(HMAC-SHA256(key, `${id}.${timestamp}.${body}`)), key = base64-decode(secret without whsec_). */
export function hmacSignature(secret: string, id: string, timestamp: number | string, body: string | Buffer): string {
  return hmacSignatureWithKey(Buffer.from(secret.replace(/^whsec_/, ""), "base64"), id, timestamp, body);
}

/** `v1` with the HMAC key given as bytes: for keys a sender derived wrongly from the secret. */
export function hmacSignatureWithKey(
  key: Buffer,
  id: string,
  timestamp: number | string,
  body: string | Buffer,
): string {
  return createHmac("sha256", key)
    .update(signedContent(id, timestamp, body))
    .digest("base64");
}

/** `v1a`: base64 Ed25519 signature over `${id}.${timestamp}.${body}`. */
export function v1aSignature(
  privateKey: KeyObject,
  id: string,
  timestamp: number | string,
  body: string | Buffer,
): string {
  return sign(null, signedContent(id, timestamp, body), privateKey).toString("base64");
}

const b64url = (value: string | Buffer) => Buffer.from(value).toString("base64url");

/** A compact JWS over `payload` with `header`, signed the way each alg specifies (`none` and HS256 for negative tests). */
export function signJwt(
  payload: Record<string, unknown>,
  {
    key,
    alg = key?.alg,
    kid = key?.kid,
    hmacSecret,
    header = {},
  }: {
    key?: SigningKey;
    alg?: string;
    kid?: string | undefined;
    hmacSecret?: Buffer | string;
    header?: Record<string, unknown>;
  },
): string {
  const protectedHeader: Record<string, unknown> = { alg, typ: "JWT", ...header };
  if (kid !== undefined) protectedHeader.kid = kid;
  const input = `${b64url(JSON.stringify(protectedHeader))}.${b64url(JSON.stringify(payload))}`;
  let signature: Buffer;
  if (alg === "none") signature = Buffer.alloc(0);
  else if (alg === "HS256") signature = createHmac("sha256", hmacSecret!).update(input).digest();
  else if (alg === "RS256") signature = sign("sha256", Buffer.from(input), key!.privateKey);
  else if (alg === "ES256")
    signature = sign("sha256", Buffer.from(input), { key: key!.privateKey, dsaEncoding: "ieee-p1363" });
  else if (alg === "EdDSA") signature = sign(null, Buffer.from(input), key!.privateKey);
  else throw new Error(`test signer: unsupported alg ${alg}`);
  return `${input}.${b64url(signature)}`;
}

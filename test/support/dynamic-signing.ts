// Signs dynamic deliveries with node:crypto only, independently of jose and of the code under test.
import { createHmac, sign, type KeyObject } from "node:crypto";
import { standardDelivery, type Delivery } from "./helpers.js";
import type { TestKey } from "./jwks-server.js";

const b64url = (value: string | Buffer) => Buffer.from(value).toString("base64url");

/** A compact JWS over `payload` with `header`, signed the way each alg specifies. */
export function signJwt(
  payload: Record<string, unknown>,
  { key, alg = key?.alg, kid = key?.kid, hmacSecret, header = {} }: {
    key?: TestKey;
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
  else if (alg === "ES256") signature = sign("sha256", Buffer.from(input), { key: key!.privateKey, dsaEncoding: "ieee-p1363" });
  else if (alg === "EdDSA") signature = sign(null, Buffer.from(input), key!.privateKey);
  else throw new Error(`test signer: unsupported alg ${alg}`);
  return `${input}.${b64url(signature)}`;
}

/** base64 Ed25519 signature over `${id}.${timestamp}.${body}` (Standard Webhooks v1a). */
export function v1aSignature(privateKey: KeyObject, id: string, timestamp: number | string, body: string): string {
  return sign(null, Buffer.from(`${id}.${timestamp}.${body}`), privateKey).toString("base64");
}

/** A `v1a`-signed delivery. */
export function v1aDelivery(event: unknown, key: TestKey, { id, timestamp }: { id: string; timestamp: number }): Delivery {
  return standardDelivery(event, id, timestamp, (body) => `v1a,${v1aSignature(key.privateKey, id, timestamp, body)}`);
}

/** A delivery whose webhook-signature is `token`; webhook-id / webhook-timestamp only when given. */
export function jwtDelivery(token: string, body: unknown, { id, timestamp }: { id?: string; timestamp?: number } = {}): Delivery {
  const headers: Record<string, string> = { "content-type": "application/json", "webhook-signature": token };
  if (id !== undefined) headers["webhook-id"] = id;
  if (timestamp !== undefined) headers["webhook-timestamp"] = String(timestamp);
  return { body: typeof body === "string" ? body : JSON.stringify(body), headers };
}

// Client side of the benchmark: keys, and deliveries signed by the tests' independent signer (node:crypto,
// nothing from the code under test).
import { generateKeyPairSync, randomBytes, type KeyObject } from "node:crypto";
import { hmacSignature, signJwt as signToken, v1aSignature } from "../test/support/signer.js";
import type { BenchConfig } from "./servers/serve.js";

export interface Delivery {
  headers: Record<string, string>;
  body: string;
}

export interface BenchKeys {
  config: BenchConfig;
  ed25519: KeyObject;
  rsa: KeyObject;
}

export const ED25519_KID = "bench-ed25519";
export const RSA_KID = "bench-rs256";

/** Fresh keys for one run: a static secret, an Ed25519 key (v1a) and an RSA key (RS256 JWTs). */
export function createBenchKeys(): BenchKeys {
  const ed = generateKeyPairSync("ed25519");
  const rsa = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const edJwk = { ...ed.publicKey.export({ format: "jwk" }), kid: ED25519_KID, alg: "EdDSA", use: "sig" };
  const rsaJwk = { ...rsa.publicKey.export({ format: "jwk" }), kid: RSA_KID, alg: "RS256", use: "sig" };
  return {
    config: {
      secret: `whsec_${randomBytes(24).toString("base64")}`,
      audience: "bench-audience",
      jwks: { keys: [edJwk, rsaJwk] },
    },
    ed25519: ed.privateKey,
    rsa: rsa.privateKey,
  };
}

let sequence = 0;
const runTag = randomBytes(4).toString("hex");

/** A fresh webhook-id, unique across the run. */
export function freshId(): string {
  return `msg_bench_${runTag}_${++sequence}`;
}

/** A thin `batch.succeeded` payload (~190 bytes, like Gemini's). */
export function eventBody(id: string): string {
  return JSON.stringify({
    type: "batch.succeeded",
    version: "v1",
    timestamp: "2026-01-22T12:00:00Z",
    data: { id: `batches/${id}`, output_file_uri: `gs://bench-bucket/${id}/results.jsonl` },
  });
}

function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

function headersFor(id: string, timestamp: number, signature: string): Record<string, string> {
  return {
    "content-type": "application/json",
    "webhook-id": id,
    "webhook-timestamp": String(timestamp),
    "webhook-signature": signature,
  };
}

/** `v1`: HMAC-SHA256 with the static secret. */
export function signV1(secret: string, id = freshId(), timestamp = nowSeconds()): Delivery {
  const body = eventBody(id);
  return { body, headers: headersFor(id, timestamp, `v1,${hmacSignature(secret, id, timestamp, body)}`) };
}

/** `v1a`: Ed25519 over the same content as v1. */
export function signV1a(key: KeyObject, id = freshId(), timestamp = nowSeconds()): Delivery {
  const body = eventBody(id);
  return { body, headers: headersFor(id, timestamp, `v1a,${v1aSignature(key, id, timestamp, body)}`) };
}

/** A compact RS256 JWT in `webhook-signature`, for `audience`, valid for an hour. */
export function signJwt(key: KeyObject, audience: string, id = freshId(), timestamp = nowSeconds()): Delivery {
  const body = eventBody(id);
  const claims = {
    iss: "https://generativelanguage.googleapis.com",
    aud: audience,
    iat: timestamp,
    exp: timestamp + 3600,
    webhook_id: id,
  };
  const token = signToken(claims, { key: { alg: "RS256", kid: RSA_KID, privateKey: key } });
  return { body, headers: headersFor(id, timestamp, token) };
}

/**
 * Deliveries signed ahead of time, so that slow signatures (Ed25519, RSA) don't take CPU from the server
 * while it is measured. `next()` signs on the fly only if the pool runs out (counted in `signedLate`).
 */
export class DeliveryPool {
  private readonly pool: Delivery[] = [];
  private cursor = 0;
  signedLate = 0;

  constructor(private readonly make: () => Delivery) {}

  /** Signs until the pool holds `count` unused deliveries. */
  fill(count: number): void {
    while (this.pool.length - this.cursor < count) this.pool.push(this.make());
  }

  /** Forgets every delivery (their timestamps would grow older than a receiver's tolerance). */
  clear(): void {
    this.pool.length = 0;
    this.cursor = 0;
  }

  get size(): number {
    return this.pool.length;
  }

  next(): Delivery {
    if (this.cursor < this.pool.length) return this.pool[this.cursor++]!;
    this.signedLate++;
    return this.make();
  }
}

/** autocannon's request for `pool`: every request takes the pool's next delivery (through `setupRequest`). */
export function poolRequest(pool: DeliveryPool) {
  return {
    method: "POST",
    path: "/webhook",
    setupRequest: (req: object) => {
      const delivery = pool.next();
      return { ...req, method: "POST", path: "/webhook", headers: delivery.headers, body: delivery.body };
    },
  };
}

// Tools for the adversarial suites: a wire-level HTTP client (duplicate headers, exact header-name case,
// chunked or trickled bodies), the schemes under test as table entries, and a store that counts claims.
import { createHash } from "node:crypto";
import { Agent, request } from "node:http";
import express from "express";
import {
  geminiWebhooks,
  memoryStore,
  type DedupeStore,
  type GeminiWebhooks,
  type GeminiWebhooksOptions,
} from "../../src/index.js";
import { OTHER_SECRET, SECRET, listen, type RunningServer } from "./helpers.js";
import { hmacSignature, keySet, makeKey, signJwt, v1aSignature } from "./signer.js";

/** A fixed "now" for every adversarial test (Unix seconds): signatures, tolerance and replays are exact. */
export const NOW_SECONDS = 1_800_000_000;

/** One request exactly as it goes on the wire: header lines in order (repeats allowed, case kept) and body bytes. */
export interface WireRequest {
  headers: Array<[name: string, value: string]>;
  body: Buffer;
}

export interface WireAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  json: any;
}

const keepAlive = new Agent({ keepAlive: true, maxSockets: 1024 });

/** Sends `wire` with node:http (unlike fetch it keeps repeated headers and header-name case as given). */
export function sendWire(url: string, wire: WireRequest, agent: Agent = keepAlive): Promise<WireAnswer> {
  const { hostname, port, pathname } = new URL(url);
  const flat: string[] = ["Host", `${hostname}:${port}`, "Content-Length", String(wire.body.length)];
  for (const [name, value] of wire.headers) flat.push(name, value);
  return new Promise((resolve, reject) => {
    const req = request(
      { hostname, port, path: pathname, method: "POST", headers: flat as unknown as Record<string, string>, agent },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8");
          let json: unknown = text;
          try {
            json = JSON.parse(text);
          } catch {
            /* not JSON: keep the text */
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, json });
        });
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    req.end(wire.body);
  });
}

/** A delivery as the sender made it, before any mutation. */
export interface GenuineDelivery {
  id: string;
  /** `webhook-timestamp` as sent. */
  timestamp: string;
  body: Buffer;
  /** The whole `webhook-signature` header value. */
  signature: string;
}

/** The three headers plus content-type, in the order a sender writes them. */
export function wireOf(d: GenuineDelivery): WireRequest {
  return {
    headers: [
      ["content-type", "application/json"],
      ["webhook-id", d.id],
      ["webhook-timestamp", d.timestamp],
      ["webhook-signature", d.signature],
    ],
    body: d.body,
  };
}

/**
 * A signature scheme under test: how a genuine sender signs, and what the receiver must be given to
 * accept it. Adding a scheme to the adversarial suites is adding one entry to `SCHEMES`.
 */
export interface SchemeUnderTest {
  name: string;
  /** Options that make the receiver accept this scheme (merged with the test's own). */
  receiverOptions: Partial<GeminiWebhooksOptions>;
  /** Entry prefix in `webhook-signature` (`"v1,"`, `"v1a,"`; `""` for a compact JWT). */
  prefix: string;
  /** The signature value a genuine sender puts after `prefix`. */
  sign(id: string, timestamp: string, body: Buffer): string | Promise<string>;
  /** A well-formed value of this scheme made with a key the receiver does not trust. */
  signWithWrongKey(id: string, timestamp: string, body: Buffer): string | Promise<string>;
  /** Whether the signature covers the body (a scheme that does not must say what it binds instead). */
  bindsBody: boolean;
  /**
   * Generic mutations this scheme's signature does not cover (by name), with the reason. They are
   * "inert": refused, or handled with the handler seeing only signed values (id, timestamp, body).
   */
  unsignedMutation?: (name: string) => string | undefined;
  /** The signed time of the delivery carried by `signature` when it is not `webhook-timestamp` (JWT: `iat`). */
  signedTimestamp?: (signature: string) => number | undefined;
}

export const V1_SCHEME: SchemeUnderTest = {
  name: "v1 (HMAC-SHA256, static secret)",
  receiverOptions: { secret: SECRET },
  prefix: "v1,",
  sign: (id, timestamp, body) => hmacSignature(SECRET, id, timestamp, body),
  signWithWrongKey: (id, timestamp, body) => hmacSignature(OTHER_SECRET, id, timestamp, body),
  bindsBody: true,
};

// Dynamic webhooks: keys are made once per test process and given to the receiver as a local key set.
export const ED25519_KEY = makeKey("EdDSA", null); // published without a kid, as Gemini reportedly does
const WRONG_ED25519_KEY = makeKey("EdDSA", null);
export const RSA_KEY = makeKey("RS256", "gemini-rsa-1");
/** Same kid as the trusted key, not in the trusted set: what a forger with a key of their own would send. */
export const WRONG_RSA_KEY = makeKey("RS256", "gemini-rsa-1");
export const JWT_AUDIENCE = "https://hooks.example.com/gemini";
export const JWT_ISSUER = "https://generativelanguage.googleapis.com";

export const V1A_SCHEME: SchemeUnderTest = {
  name: "v1a (Ed25519, JWKS)",
  receiverOptions: { jwks: { keys: keySet(ED25519_KEY) } },
  prefix: "v1a,",
  sign: (id, timestamp, body) => v1aSignature(ED25519_KEY.privateKey, id, timestamp, body),
  signWithWrongKey: (id, timestamp, body) => v1aSignature(WRONG_ED25519_KEY.privateKey, id, timestamp, body),
  bindsBody: true,
};

/** The claims a genuine JWT delivery carries in these tests: audience, issuer, times, the id as `jti`, a body digest. */
export function jwtClaims(id: string, timestamp: string, body: Buffer): Record<string, unknown> {
  const iat = Number(timestamp);
  return {
    iss: JWT_ISSUER,
    aud: JWT_AUDIENCE,
    iat,
    exp: iat + 300,
    jti: id,
    body_sha256: createHash("sha256").update(body).digest("base64url"),
  };
}

export const JWT_SCHEME: SchemeUnderTest = {
  name: "JWT (RS256, JWKS)",
  receiverOptions: { jwks: { keys: keySet(RSA_KEY), audience: JWT_AUDIENCE, issuer: JWT_ISSUER } },
  prefix: "",
  sign: (id, timestamp, body) => signJwt(jwtClaims(id, timestamp, body), { key: RSA_KEY }),
  signWithWrongKey: (id, timestamp, body) => signJwt(jwtClaims(id, timestamp, body), { key: WRONG_RSA_KEY }),
  bindsBody: true, // through the body_sha256 claim
  unsignedMutation: (name) => {
    if (name.startsWith("webhook-timestamp")) {
      return "a JWT does not cover webhook-timestamp: its iat/exp are the signed times, and ctx.timestamp is the token's iat";
    }
    if (name === "signature of another timestamp") {
      return "a JWT's signed time is its iat: a token the trusted key signed for another second is genuine, and ctx.timestamp is that iat";
    }
    if (/^webhook-id (removed|emptied|renamed)/.test(name)) {
      return "a JWT-only delivery may come without webhook-id: the token's jti (signed) stands in for it";
    }
    return undefined;
  },
  signedTimestamp: (signature) => {
    const token = signature
      .split(/\s+/)
      .filter((entry) => entry.split(".").length === 3)
      .at(-1);
    const iat = token
      ? (JSON.parse(Buffer.from(token.split(".")[1]!, "base64url").toString("utf8")) as { iat?: number }).iat
      : undefined;
    return typeof iat === "number" ? iat : undefined;
  },
};

/** Every scheme the receiver supports; the mutation, property, storm and transport suites run against each. */
export const SCHEMES: SchemeUnderTest[] = [V1_SCHEME, V1A_SCHEME, JWT_SCHEME];

/** One change to a genuine delivery; `legit` ones must still be accepted, all others refused. */
export interface Mutation {
  name: string;
  legit: boolean;
  /** Why a legit variation is legit (printed in the report). */
  why?: string;
  apply(d: GenuineDelivery, scheme: SchemeUnderTest): WireRequest | Promise<WireRequest>;
}

let sequence = 0;
/** A fresh id shaped like Gemini's (`msg_<uuid-ish>`), distinct per call. */
export function nextId(): string {
  sequence += 1;
  return `msg_${process.pid.toString(16)}c${sequence.toString(16).padStart(8, "0")}e7b1a94f`;
}

/** A genuine delivery of `event` signed with `scheme` at `NOW_SECONDS` (or `timestamp`). */
export async function genuine(
  scheme: SchemeUnderTest,
  event: unknown,
  { id = nextId(), timestamp = String(NOW_SECONDS) }: { id?: string; timestamp?: string } = {},
): Promise<GenuineDelivery> {
  const body = Buffer.isBuffer(event)
    ? event
    : Buffer.from(typeof event === "string" ? event : JSON.stringify(event), "utf8");
  return { id, timestamp, body, signature: `${scheme.prefix}${await scheme.sign(id, timestamp, body)}` };
}

/**
 * A store that wraps another and keeps the ids claimed but neither completed nor released: after the
 * dust settles this must be empty, or a claim leaked and would block Gemini's retry.
 */
export interface CountingStore extends DedupeStore {
  readonly outstanding: Set<string>;
  claims: number;
}

export function countingStore(inner: DedupeStore = memoryStore()): CountingStore {
  const outstanding = new Set<string>();
  const store: CountingStore = {
    outstanding,
    claims: 0,
    async claim(id) {
      const result = await inner.claim(id);
      if (result === "claimed") {
        store.claims += 1;
        outstanding.add(id);
      }
      return result;
    },
    async complete(id) {
      await inner.complete(id);
      outstanding.delete(id);
    },
    async release(id) {
      await inner.release(id);
      outstanding.delete(id);
    },
  };
  return store;
}

/** A receiver on loopback that records every handler run. */
export interface Target {
  url: string;
  receiver: GeminiWebhooks;
  store: CountingStore;
  /** webhook-id of every handler run, in order. */
  runs: string[];
  /** Bodies the handler saw, by webhook-id (to prove what reached it was what was signed). */
  bodies: Map<string, Buffer>;
  /** `ctx.timestamp` the handler saw, by webhook-id. */
  timestamps: Map<string, number>;
  clock: { seconds: number };
  server: RunningServer;
  close(): Promise<void>;
}

export async function startTarget(
  scheme: SchemeUnderTest,
  extra: Partial<GeminiWebhooksOptions> = {},
  handler?: (id: string) => unknown,
): Promise<Target> {
  const clock = { seconds: NOW_SECONDS };
  const store = countingStore();
  const receiver = geminiWebhooks({
    ...scheme.receiverOptions,
    dedupe: store,
    now: () => clock.seconds * 1000,
    ...extra,
  });
  const runs: string[] = [];
  const bodies = new Map<string, Buffer>();
  const timestamps = new Map<string, number>();
  receiver.onAny((_event, ctx) => {
    runs.push(ctx.webhookId);
    bodies.set(ctx.webhookId, Buffer.from(ctx.rawBody));
    timestamps.set(ctx.webhookId, ctx.timestamp);
    return handler?.(ctx.webhookId);
  });
  const app = express();
  app.use("/hooks/gemini", receiver);
  const server = await listen(app);
  return {
    url: `${server.url}/hooks/gemini`,
    receiver,
    store,
    runs,
    bodies,
    timestamps,
    clock,
    server,
    close: () => server.close(),
  };
}

/** A thin event with characters that normalise differently (NFC vs NFD) and a U+FFFD to tempt lossy decoders. */
export function sampleEventWithText(): object {
  return {
    type: "batch.succeeded",
    version: "v1",
    timestamp: "2026-01-22T12:00:00Z",
    data: { id: "batches/123", output_file_uri: "gs://my-bucket/résumé-Zoë.jsonl", note: "ok \uFFFD end" },
  };
}

// The floor's whole work: read the raw body and answer exactly as the receiver does (same headers, same body,
// res.end), with no verification or parsing. Shared by the floor servers and the in-process micro-benchmark.
import { createPublicKey, verify } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { importJWK, jwtVerify } from "jose";
import { ED25519_KID, RSA_KID } from "./deliveries.js";
import type { BenchConfig } from "./servers/serve.js";

export type FloorHandler = (req: IncomingMessage, res: ServerResponse) => void;

/** Whether a delivery's signature is good: the one piece of work a "floor + crypto" variant adds. */
export type SignatureCheck = (req: IncomingMessage, body: Buffer) => boolean | Promise<boolean>;

function answer(res: ServerResponse, ok: boolean): void {
  res.statusCode = ok ? 200 : 401;
  res.setHeader("Content-Type", "application/json; charset=utf-8");
  res.setHeader("Cache-Control", "no-store");
  res.end(ok ? '{"status":"received"}' : '{"error":"invalid_signature"}');
}

/** The floor plus `check` (nothing else: no parse, no dedupe). */
export function floorWith(check?: SignatureCheck): FloorHandler {
  return (req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const body = Buffer.concat(chunks);
      if (!check) return answer(res, true);
      const ok = check(req, body);
      if (typeof ok === "boolean") answer(res, ok);
      else
        ok.then(
          (valid) => answer(res, valid),
          () => answer(res, false),
        );
    });
  };
}

export const floorHandler: FloorHandler = floorWith();

/**
 * The floor of a queued receiver: read the body, hand it to `store`, and answer 202 as the receiver does once
 * the store acknowledged it (503 if it failed). Shared by floor+redis-set and floor+bullmq-add, which differ
 * only in what `store` sends to Redis.
 */
export function floorStoring(store: (body: Buffer) => Promise<unknown>): FloorHandler {
  return (req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      store(Buffer.concat(chunks)).then(
        () => {
          res.statusCode = 202;
          res.setHeader("Content-Type", "application/json; charset=utf-8");
          res.setHeader("Cache-Control", "no-store");
          res.end('{"status":"queued"}');
        },
        () => {
          res.statusCode = 503;
          res.end();
        },
      );
    });
  };
}

/**
 * One bare node:crypto Ed25519 verification of `${id}.${timestamp}.${body}`: the crypto every v1a delivery
 * must cost. On libuv's thread pool (crypto.verify with a callback), the way the receiver does it, so the
 * receiver-v1a row is judged against the same crypto done the same way.
 */
export function ed25519Check(config: BenchConfig): SignatureCheck {
  const key = createPublicKey({ key: config.jwks.keys.find((jwk) => jwk.kid === ED25519_KID) as never, format: "jwk" });
  return (req, body) => {
    const message = Buffer.concat([
      Buffer.from(`${String(req.headers["webhook-id"])}.${String(req.headers["webhook-timestamp"])}.`),
      body,
    ]);
    const signature = Buffer.from(String(req.headers["webhook-signature"]).slice("v1a,".length), "base64");
    return new Promise((resolve) => verify(null, message, key, signature, (error, valid) => resolve(!error && valid)));
  };
}

/**
 * One bare jose.jwtVerify of the RS256 token in webhook-signature against a key imported once (algorithm and
 * audience checked, as any JWT verification must): the crypto every JWT delivery must cost, with the library
 * the receiver uses.
 */
export async function joseJwtCheck(config: BenchConfig): Promise<SignatureCheck> {
  const key = await importJWK(
    config.jwks.keys.find((jwk) => jwk.kid === RSA_KID)!,
    "RS256",
  );
  const options = { algorithms: ["RS256"], audience: config.audience };
  return (req) => jwtVerify(String(req.headers["webhook-signature"]), key, options).then(() => true);
}

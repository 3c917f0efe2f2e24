// What the in-process tools (tools/pipeline-micro.ts, receiver-loop.ts) share: one delivery handed to a middleware as
// Express hands it over, and per scheme the receiver's options, a signer and the matching floor.
import express from "express";
import { IncomingMessage, ServerResponse } from "node:http";
import { Socket } from "node:net";
import type { JSONWebKeySet } from "jose";
import type { GeminiWebhooksOptions } from "../src/index.js";
import { signJwt, signV1, signV1a, type BenchKeys, type Delivery } from "./deliveries.js";
import { ed25519Check, floorHandler, floorWith, joseJwtCheck } from "./floor-handler.js";

export type Middleware = (req: IncomingMessage, res: ServerResponse, next: (error?: unknown) => void) => void;

export type Scheme = "v1" | "v1a" | "jwt";

// Node's own IncomingMessage and ServerResponse (no socket: the answer is built, not sent) with Express's
// prototypes swapped in, so that property lookups on them cost what they cost in a server (a getter or an absent
// property looked up through that chain is not free; a bare Readable stand-in hid that).
const app = express();
const socket = new Socket();

/** Hands `delivery` to `middleware` as a POST and resolves with the status it answered. */
export function deliverInProcess(middleware: Middleware, delivery: Delivery): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = Object.setPrototypeOf(new IncomingMessage(socket), app.request) as IncomingMessage;
    req.method = "POST";
    req.url = "/";
    req.headers = delivery.headers;
    const res = Object.setPrototypeOf(new ServerResponse(req), app.response) as ServerResponse;
    const end = res.end;
    res.end = function (this: ServerResponse, ...args: unknown[]) {
      end.apply(this, args as never);
      resolve(this.statusCode);
      return this;
    } as ServerResponse["end"];
    middleware(req, res, reject);
    req.push(delivery.body);
    req.push(null);
    req.complete = true;
  });
}

/** The receiver's options, a signer, and the floor plus exactly the crypto the scheme must do. */
export async function schemeSetup(
  scheme: Scheme,
  keys: BenchKeys,
): Promise<{ options: GeminiWebhooksOptions; sign: () => Delivery; floor: Middleware }> {
  if (scheme === "v1")
    return { options: { secret: keys.config.secret }, sign: () => signV1(keys.config.secret), floor: floorHandler };
  const options = {
    jwks: { keys: keys.config.jwks as unknown as JSONWebKeySet, audience: keys.config.audience },
    toleranceSeconds: 3600,
  };
  if (scheme === "v1a")
    return { options, sign: () => signV1a(keys.ed25519), floor: floorWith(ed25519Check(keys.config)) };
  return {
    options,
    sign: () => signJwt(keys.rsa, keys.config.audience),
    floor: floorWith(await joseJwtCheck(keys.config)),
  };
}

export function parseScheme(value: string | undefined): Scheme {
  if (value === undefined) return "v1";
  if (value === "v1" || value === "v1a" || value === "jwt") return value;
  throw new Error(`--scheme must be v1, v1a or jwt (got ${value})`);
}

// A JWKS endpoint on loopback for the dynamic-webhook tests: serves a key set it can swap, counts
// requests, and can be switched off (503), made slow, or made to serve garbage.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { generateKeyPairSync, type KeyObject } from "node:crypto";

export interface TestKey {
  /** The JWT alg this key signs with (Ed25519 keys also sign v1a). */
  alg: "RS256" | "ES256" | "EdDSA";
  kid: string | undefined;
  privateKey: KeyObject;
  publicKey: KeyObject;
  /** The public JWK as published (with `kid` when the key has one). */
  jwk: Record<string, unknown>;
}

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
  const jwk: Record<string, unknown> = { ...pair.publicKey.export({ format: "jwk" }), use: "sig" };
  if (kid !== undefined) jwk.kid = kid;
  return { alg, kid, privateKey: pair.privateKey, publicKey: pair.publicKey, jwk };
}

export function keySet(...keys: TestKey[]): { keys: Record<string, unknown>[] } {
  return { keys: keys.map((key) => key.jwk) };
}

export interface JwksServer {
  url: string;
  /** GET requests received so far. */
  readonly requests: number;
  /** Serve this body from now on. */
  serve(body: unknown): void;
  /** "up": 200 with the set; "down": 503; "slow": answers after `slowMs`; "garbage": 200 with non-JSON. */
  mode: "up" | "down" | "slow" | "garbage";
  slowMs: number;
  close(): Promise<void>;
}

export function startJwksServer(initial: unknown): Promise<JwksServer> {
  let body = JSON.stringify(initial);
  let requests = 0;
  const timers = new Set<NodeJS.Timeout>();
  const state = { mode: "up" as JwksServer["mode"], slowMs: 2_000 };
  const server: Server = createServer((req, res) => {
    requests++;
    const answer = () => {
      if (state.mode === "down") {
        res.writeHead(503, { "content-type": "text/plain" }).end("down");
      } else if (state.mode === "garbage") {
        res.writeHead(200, { "content-type": "application/json" }).end("<html>");
      } else {
        res.writeHead(200, { "content-type": "application/jwk-set+json" }).end(body);
      }
    };
    if (state.mode === "slow") {
      const timer = setTimeout(() => {
        timers.delete(timer);
        if (!res.destroyed) res.writeHead(200, { "content-type": "application/json" }).end(body);
      }, state.slowMs);
      timers.add(timer);
    } else {
      answer();
    }
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as AddressInfo;
      resolve({
        url: `http://127.0.0.1:${port}/.well-known/jwks.json`,
        get requests() {
          return requests;
        },
        serve(next) {
          body = JSON.stringify(next);
        },
        get mode() {
          return state.mode;
        },
        set mode(value) {
          state.mode = value;
        },
        get slowMs() {
          return state.slowMs;
        },
        set slowMs(value) {
          state.slowMs = value;
        },
        close: () =>
          new Promise<void>((done) => {
            for (const timer of timers) clearTimeout(timer);
            server.closeAllConnections();
            server.close(() => done());
          }),
      });
    });
  });
}

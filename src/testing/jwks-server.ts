import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import type { JsonWebKeySet } from "./test-keys.js";

/** Options of `startJwksServer`. */
export interface JwksServerOptions {
  /** Interface to listen on. Default `"127.0.0.1"` (loopback only). */
  host?: string;
  /** Port. Default 0 (any free port; read it from `url`). */
  port?: number;
  /** Path the key set is served at. Default `"/.well-known/jwks.json"`, as Gemini's. */
  path?: string;
}

/** A running JWKS endpoint for tests. */
export interface JwksServer {
  /** The key set's URL: give it to the receiver as `jwks: { url }`. */
  readonly url: string;
  /** How many times the key set was fetched (to test caching). */
  readonly requestCount: number;
  /** Serves another key set from now on (to test key rotation), or, with `null`, answers 503 (to test an outage). */
  setKeys(jwks: JsonWebKeySet | null): void;
  /** Stops the server and closes open connections. */
  close(): Promise<void>;
}

/**
 * Serves a public key set over HTTP on loopback, the way Gemini's JWKS URL does, so a receiver can be
 * tested with its real remote-JWKS path (`jwks: { url: server.url, audience }`). Close it when done.
 */
export async function startJwksServer(jwks: JsonWebKeySet, options: JwksServerOptions = {}): Promise<JwksServer> {
  assertPublicKeySet(jwks);
  const path = options.path ?? "/.well-known/jwks.json";
  let body: string | null = JSON.stringify(jwks);
  let requestCount = 0;

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://localhost");
    if (req.method !== "GET" || url.pathname !== path) {
      res.writeHead(404, { "content-type": "application/json" }).end('{"error":"not_found"}');
      return;
    }
    requestCount++;
    if (body === null) {
      res.writeHead(503, { "content-type": "application/json" }).end('{"error":"unavailable"}');
      return;
    }
    res
      .writeHead(200, { "content-type": "application/jwk-set+json", "cache-control": "public, max-age=300" })
      .end(body);
  });
  const host = options.host ?? "127.0.0.1";
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const urlHost = host.includes(":") ? `[${host}]` : host;

  return {
    url: `http://${urlHost}:${port}${path}`,
    get requestCount() {
      return requestCount;
    },
    setKeys(next) {
      if (next !== null) assertPublicKeySet(next);
      body = next === null ? null : JSON.stringify(next);
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

// Serving private halves would teach the wrong habit and defeat the tests' point.
function assertPublicKeySet(jwks: JsonWebKeySet): void {
  if (jwks === null || typeof jwks !== "object" || !Array.isArray(jwks.keys)) {
    throw new TypeError("startJwksServer: expected a key set { keys: [...] }, e.g. createTestKeys().jwks.");
  }
  if (jwks.keys.some((key) => key !== null && typeof key === "object" && "d" in key)) {
    throw new TypeError(
      "startJwksServer: the key set contains a private key; serve public keys only (createTestKeys().jwks).",
    );
  }
}

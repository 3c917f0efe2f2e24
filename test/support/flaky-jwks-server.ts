// A JWKS endpoint on loopback that the key-set tests can break: switched off (503), made slow, made to
// serve garbage or any body at all (private keys, secret keys). The public startJwksServer
// (src/testing/jwks-server.ts) serves well-formed public key sets only, which is what the other suites use.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export interface FlakyJwksServer {
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

export function startFlakyJwksServer(initial: unknown): Promise<FlakyJwksServer> {
  let body = JSON.stringify(initial);
  let requests = 0;
  const timers = new Set<NodeJS.Timeout>();
  const state = { mode: "up" as FlakyJwksServer["mode"], slowMs: 2_000 };
  const server: Server = createServer((_req, res) => {
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

// One contract, run everywhere: the same requests (the v1 and v1a reference vectors, typed events signed fresh
// with v1 and v1a, a JWT against a local JWKS, a duplicate, a stale timestamp, a forged signature, an oversized
// body, and a delivery to a receiver started with no secret) sent to the same receiver (runtimes/apps/webhooks.ts)
// served by Express, by webhooks.fetch under Node, workerd (Miniflare, no nodejs_compat), Deno, Bun and both
// Next.js runtimes, must get the same statuses and bodies as Express gives.
import assert from "node:assert/strict";
import { mkdirSync, readFileSync } from "node:fs";
import { after, before, describe, it } from "node:test";
import express from "express";
import type { GeminiWebhooks } from "../src/index.js";
import { startJwksServer, type JwksServer } from "../src/testing/index.js";
import { listen } from "./support/helpers.js";
import {
  RUNTIME_BIN,
  RUNTIMES,
  RUNTIMES_SERVICE,
  fixture,
  freePort,
  matrixRequests,
  noSecretRequests,
  run,
  sendAll,
  startServer,
  type MatrixAnswer,
  type MatrixRequest,
} from "./support/runtime-matrix.js";
import { describeNeeding } from "./support/services.js";
import { keySet, makeKey } from "./support/signer.js";

const AUDIENCE = "runtime-matrix";
const NOW_S = fixture("standard-webhooks-vectors.json").official[0].timestamp + 10;

/** One runtime serving the matrix's receiver with `env`: the URL its webhook answers on, and how to stop it. */
interface Served {
  url: string;
  stop: () => Promise<void>;
}

describeNeeding(RUNTIMES_SERVICE, "the runtime matrix: every runtime answers as Express does", () => {
  let jwks: JwksServer;
  let env: Record<string, string>;
  let envWithoutSecret: Record<string, string>;
  let requests: MatrixRequest[];
  let unconfigured: MatrixRequest[];
  let reference: MatrixAnswer[];
  let unconfiguredReference: MatrixAnswer[];
  const stops: Array<() => Promise<void>> = [];

  before(async () => {
    const keys = { jwt: makeKey("RS256"), v1a: makeKey("EdDSA") };
    const v1aVectorJwk = fixture("standard-webhooks-v1a-vector.json").publicJwk;
    jwks = await startJwksServer({ keys: [...keySet(keys.jwt, keys.v1a).keys, v1aVectorJwk] });
    stops.push(() => jwks.close());
    env = {
      GEMINI_WEBHOOK_SECRET: fixture("standard-webhooks-vectors.json").official[0].secret,
      GEMINI_JWKS_URL: jwks.url,
      MATRIX_NOW_MS: String(NOW_S * 1000),
    };
    // A receiver for static webhooks only (no key set: with one, no secret would mean dynamic webhooks only).
    envWithoutSecret = { MATRIX_NOW_MS: env.MATRIX_NOW_MS! };
    requests = matrixRequests(NOW_S, keys, AUDIENCE);
    unconfigured = noSecretRequests(NOW_S);
    reference = await expressAnswers(env, requests);
    unconfiguredReference = await expressAnswers(envWithoutSecret, unconfigured);
  });

  after(async () => {
    for (const stop of stops.reverse()) await stop();
  });

  /** A fresh receiver built by the matrix's own module, as every runtime builds it. */
  async function receiver(withEnv: Record<string, string>): Promise<GeminiWebhooks> {
    const { matrixWebhooks } = await import(`${RUNTIMES}apps/webhooks.ts`);
    return matrixWebhooks(withEnv);
  }

  async function expressAnswers(withEnv: Record<string, string>, list: MatrixRequest[]): Promise<MatrixAnswer[]> {
    const app = express();
    app.use("/gemini-callback", await receiver(withEnv));
    const server = await listen(app);
    try {
      return await sendAll(`${server.url}/gemini-callback`, list);
    } finally {
      await server.close();
    }
  }

  function assertSame(list: MatrixRequest[], answers: MatrixAnswer[], expected: MatrixAnswer[]): void {
    assert.equal(answers.length, expected.length);
    list.forEach(({ name }, index) => assert.deepEqual(answers[index], expected[index], name));
  }

  /** Serves the receiver with the secret, then a fresh one without it, and holds both to Express's answers. */
  async function assertRuntimeLikeExpress(serve: (withEnv: Record<string, string>) => Promise<Served>) {
    const configured = await serve(env);
    try {
      assertSame(requests, await sendAll(configured.url, requests), reference);
    } finally {
      await configured.stop();
    }
    const withoutSecret = await serve(envWithoutSecret);
    try {
      assertSame(unconfigured, await sendAll(withoutSecret.url, unconfigured), unconfiguredReference);
    } finally {
      await withoutSecret.stop();
    }
  }

  it("Express itself verifies the vectors, the fresh deliveries and the JWT and refuses the rest (the reference is meaningful)", () => {
    const byName = Object.fromEntries(requests.map(({ name }, index) => [name, reference[index]!]));
    const received = { status: 200, body: { status: "received" } };
    // The vectors' payload, {"test": ...}, has no "type": verified, then refused as a payload (not 401).
    for (const vector of ["v1 vector", "v1a vector"])
      assert.deepEqual(
        { status: byName[vector]!.status, error: (byName[vector]!.body as { error?: string }).error },
        { status: 400, error: "invalid_payload" },
        vector,
      );
    assert.deepEqual(byName["v1 delivery"], received);
    assert.deepEqual(byName["v1a delivery"], received);
    assert.deepEqual(byName["JWT"], received);
    assert.equal(byName["duplicate"]!.status, 200);
    assert.notDeepEqual(byName["duplicate"]!.body, byName["v1 delivery"]!.body);
    assert.equal(byName["stale timestamp"]!.status, 401);
    assert.equal(byName["forged signature"]!.status, 401);
    assert.equal(byName["oversized body"]!.status, 413);
    assert.deepEqual(
      { status: unconfiguredReference[0]!.status, error: (unconfiguredReference[0]!.body as { error?: string }).error },
      { status: 500, error: "secret_not_configured" },
    );
  });

  it("webhooks.fetch on Node (a Request handed to it directly)", async () => {
    async function answersOf(withEnv: Record<string, string>, list: MatrixRequest[]): Promise<MatrixAnswer[]> {
      const webhooks = await receiver(withEnv);
      const answers: MatrixAnswer[] = [];
      for (const { delivery } of list) {
        const request = new Request("http://127.0.0.1/gemini-callback", {
          method: "POST",
          headers: delivery.headers,
          body: delivery.body,
        });
        const response = await webhooks.fetch(request);
        answers.push({ status: response.status, body: await response.json() });
      }
      return answers;
    }
    assertSame(requests, await answersOf(env, requests), reference);
    assertSame(unconfigured, await answersOf(envWithoutSecret, unconfigured), unconfiguredReference);
  });

  it("Cloudflare Workers: workerd through Miniflare, a module worker whose fetch is webhooks.fetch, no nodejs_compat", async () => {
    const worker = `${RUNTIMES}apps/worker/`;
    const outfile = `${RUNTIMES}.work/worker.js`;
    mkdirSync(`${RUNTIMES}.work`, { recursive: true });
    // What wrangler does for this wrangler.toml: bundle src/index.ts with workerd's export conditions.
    const esbuild = await import(`${RUNTIMES}node_modules/esbuild/lib/main.js`);
    await esbuild.build({
      entryPoints: [`${worker}src/index.ts`],
      outfile,
      bundle: true,
      format: "esm",
      platform: "neutral",
      conditions: ["workerd", "worker", "browser"],
      mainFields: ["module", "main"],
      external: ["cloudflare:workers"],
      logLevel: "silent",
    });
    const toml = readFileSync(`${worker}wrangler.toml`, "utf8");
    const compatibilityDate = /compatibility_date\s*=\s*"([^"]+)"/.exec(toml)![1];
    assert.doesNotMatch(toml, /^\s*compatibility_flags/m, "the worker runs without nodejs_compat");
    // (process.getBuiltinModule("node:…") behind a guard is allowed: it is not an import, and workerd has no process.)
    assert.doesNotMatch(
      readFileSync(outfile, "utf8"),
      /(?:\bfrom|\bimport\(?|\brequire\()\s*["']node:/,
      "nothing in the bundle imports a node:* module",
    );
    const { Miniflare } = await import(`${RUNTIMES}node_modules/miniflare/dist/src/index.js`);
    await assertRuntimeLikeExpress(async (bindings) => {
      const miniflare = new Miniflare({
        scriptPath: outfile,
        modules: true,
        compatibilityDate,
        bindings,
        host: "127.0.0.1",
        port: await freePort(),
      });
      const url: URL = await miniflare.ready;
      return { url: new URL("/gemini-callback", url).href, stop: () => miniflare.dispose() };
    });
  });

  it("Deno: Deno.serve(webhooks.fetch), the package from the local node_modules", async () => {
    await assertRuntimeLikeExpress(async (withEnv) => {
      const port = await freePort();
      const deno = await startServer(
        `${RUNTIME_BIN}deno`,
        ["run", "--allow-env", "--allow-net", "--allow-read", `${RUNTIMES}apps/deno/server.ts`],
        {
          cwd: RUNTIMES,
          env: { ...withoutSecret(process.env), ...withEnv, PORT: String(port), DENO_NO_UPDATE_CHECK: "1" },
          url: `http://127.0.0.1:${port}/`,
        },
      );
      return { url: `${deno.url}gemini-callback`, stop: deno.stop };
    });
  });

  it("Bun: Bun.serve({ fetch: webhooks.fetch })", async () => {
    await assertRuntimeLikeExpress(async (withEnv) => {
      const port = await freePort();
      const bun = await startServer(`${RUNTIME_BIN}bun`, [`${RUNTIMES}apps/bun/server.ts`], {
        cwd: RUNTIMES,
        env: { ...withoutSecret(process.env), ...withEnv, PORT: String(port) },
        url: `http://127.0.0.1:${port}/`,
      });
      return { url: `${bun.url}gemini-callback`, stop: bun.stop };
    });
  });

  describe("Next.js App Router: next build with no secret, then next start", () => {
    const app = `${RUNTIMES}next-app/`;
    const next = `${RUNTIMES}node_modules/next/dist/bin/next`;

    // One build for both routes and both starts: the build is the slow part of the matrix.
    before(async () => {
      const buildEnv = { ...withoutSecret(process.env), NEXT_TELEMETRY_DISABLED: "1" };
      await run(process.execPath, [next, "build"], { cwd: app, env: buildEnv });
    });

    function nextStart(route: string) {
      return async (withEnv: Record<string, string>): Promise<Served> => {
        const port = await freePort();
        const server = await startServer(process.execPath, [next, "start", "-H", "127.0.0.1", "-p", String(port)], {
          cwd: app,
          env: { ...withoutSecret(process.env), ...withEnv, NEXT_TELEMETRY_DISABLED: "1" },
          url: `http://127.0.0.1:${port}/`,
        });
        return { url: `${server.url}${route}`, stop: server.stop };
      };
    }

    it('runtime = "nodejs"', () => assertRuntimeLikeExpress(nextStart("api/node")));
    it('runtime = "edge"', () => assertRuntimeLikeExpress(nextStart("api/edge")));
  });
});

/** The environment without GEMINI_WEBHOOK_SECRET, so a secret set where the suite runs cannot leak into a runtime. */
function withoutSecret(environment: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const { GEMINI_WEBHOOK_SECRET: _secret, ...rest } = environment;
  return rest;
}

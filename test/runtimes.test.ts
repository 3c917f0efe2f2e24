// One contract, run everywhere: the same requests (the v1 and v1a reference vectors, a JWT against a local JWKS,
// a duplicate, a stale timestamp, a forged signature, an oversized body) sent to the same receiver
// (runtimes/apps/webhooks.ts) served by Express, by webhooks.fetch under Node, workerd (Miniflare, no
// nodejs_compat), Deno, Bun and both Next.js runtimes, must get the same statuses and bodies as Express gives.
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { after, before, describe, it } from "node:test";
import express from "express";
import type { GeminiWebhooks } from "../src/index.js";
import { listen } from "./support/helpers.js";
import {
  RUNTIME_BIN,
  RUNTIMES,
  fixture,
  freePort,
  matrixMissing,
  matrixRequests,
  run,
  sendAll,
  startServer,
  type MatrixAnswer,
  type MatrixRequest,
} from "./support/runtime-matrix.js";
import { keySet, makeKey } from "./support/signer.js";
import { startJwksServer, type JwksServer } from "../src/testing/index.js";
import { readFileSync } from "node:fs";

const AUDIENCE = "runtime-matrix";
const NOW_S = fixture("standard-webhooks-vectors.json").official[0].timestamp + 10;

describe("the runtime matrix: every runtime answers as Express does", { skip: matrixMissing }, () => {
  let jwks: JwksServer;
  let env: Record<string, string>;
  let requests: MatrixRequest[];
  let reference: MatrixAnswer[];
  const stops: Array<() => Promise<void>> = [];

  before(async () => {
    const jwtKey = makeKey("RS256");
    const v1aJwk = fixture("standard-webhooks-v1a-vector.json").publicJwk;
    jwks = await startJwksServer({ keys: [...keySet(jwtKey).keys, v1aJwk] });
    stops.push(() => jwks.close());
    env = {
      GEMINI_WEBHOOK_SECRET: fixture("standard-webhooks-vectors.json").official[0].secret,
      GEMINI_JWKS_URL: jwks.url,
      MATRIX_NOW_MS: String(NOW_S * 1000),
    };
    requests = matrixRequests(NOW_S, jwtKey, AUDIENCE);
    const app = express();
    app.use("/gemini-callback", await receiver());
    const server = await listen(app);
    stops.push(server.close);
    reference = await sendAll(`${server.url}/gemini-callback`, requests);
  });

  after(async () => {
    for (const stop of stops.reverse()) await stop();
  });

  /** A fresh receiver built by the matrix's own module, as every runtime builds it. */
  async function receiver(): Promise<GeminiWebhooks> {
    const { matrixWebhooks } = await import(`${RUNTIMES}apps/webhooks.ts`);
    return matrixWebhooks(env);
  }

  function assertSameAsExpress(answers: MatrixAnswer[]): void {
    requests.forEach(({ name }, index) => assert.deepEqual(answers[index], reference[index], `${name}`));
  }

  it("Express itself verifies the vectors and the JWT and refuses the rest (the reference is meaningful)", () => {
    const byName = Object.fromEntries(requests.map(({ name }, index) => [name, reference[index]!]));
    // The vectors' payload, {"test": ...}, has no "type": verified, then refused as a payload (not 401).
    for (const vector of ["v1 vector", "v1a vector"])
      assert.equal((byName[vector]!.body as { error?: string }).error, "invalid_payload", vector);
    assert.deepEqual(byName["v1 delivery"], { status: 200, body: { status: "received" } });
    assert.equal(byName["duplicate"]!.status, 200);
    assert.notDeepEqual(byName["duplicate"]!.body, byName["v1 delivery"]!.body);
    assert.deepEqual(byName["JWT"], { status: 200, body: { status: "received" } });
    assert.equal(byName["stale timestamp"]!.status, 401);
    assert.equal(byName["forged signature"]!.status, 401);
    assert.equal(byName["oversized body"]!.status, 413);
  });

  it("webhooks.fetch on Node (a Request handed to it directly)", async () => {
    const webhooks = await receiver();
    const answers: MatrixAnswer[] = [];
    for (const { delivery } of requests) {
      const response = await webhooks.fetch(
        new Request("http://127.0.0.1/gemini-callback", {
          method: "POST",
          headers: delivery.headers,
          body: delivery.body,
        }),
      );
      answers.push({ status: response.status, body: await response.json() });
    }
    assertSameAsExpress(answers);
  });

  it("Cloudflare Workers: workerd through Miniflare, a module worker whose fetch is webhooks.fetch, no nodejs_compat", async () => {
    const worker = `${RUNTIMES}apps/worker/`;
    const outfile = `${RUNTIMES}.work/worker.js`;
    mkdirSync(`${RUNTIMES}.work`, { recursive: true });
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
    assert.doesNotMatch(toml, /nodejs_compat/);
    const { Miniflare } = await import(`${RUNTIMES}node_modules/miniflare/dist/src/index.js`);
    const miniflare = new Miniflare({
      scriptPath: outfile,
      modules: true,
      compatibilityDate,
      bindings: env,
      host: "127.0.0.1",
      port: await freePort(),
    });
    stops.push(() => miniflare.dispose());
    const url: URL = await miniflare.ready;
    assertSameAsExpress(await sendAll(new URL("/gemini-callback", url).href, requests));
  });

  it("Deno: Deno.serve(webhooks.fetch), the package from the local node_modules", async () => {
    const port = await freePort();
    const deno = await startServer(
      `${RUNTIME_BIN}deno`,
      ["run", "--allow-env", "--allow-net", "--allow-read", `${RUNTIMES}apps/deno/server.ts`],
      {
        cwd: RUNTIMES,
        env: { ...process.env, ...env, PORT: String(port), DENO_NO_UPDATE_CHECK: "1" },
        url: `http://127.0.0.1:${port}/`,
      },
    );
    stops.push(deno.stop);
    assertSameAsExpress(await sendAll(`${deno.url}gemini-callback`, requests));
  });

  it("Bun: Bun.serve({ fetch: webhooks.fetch })", async () => {
    const port = await freePort();
    const bun = await startServer(`${RUNTIME_BIN}bun`, [`${RUNTIMES}apps/bun/server.ts`], {
      cwd: RUNTIMES,
      env: { ...process.env, ...env, PORT: String(port) },
      url: `http://127.0.0.1:${port}/`,
    });
    stops.push(bun.stop);
    assertSameAsExpress(await sendAll(`${bun.url}gemini-callback`, requests));
  });

  describe("Next.js App Router: next build with no secret, then next start with it", () => {
    let base: string;
    const app = `${RUNTIMES}next-app/`;
    const next = `${RUNTIMES}node_modules/next/dist/bin/next`;

    before(async () => {
      const buildEnv = { ...process.env, NEXT_TELEMETRY_DISABLED: "1" };
      delete buildEnv.GEMINI_WEBHOOK_SECRET;
      await run(process.execPath, [next, "build"], { cwd: app, env: buildEnv });
      const port = await freePort();
      const server = await startServer(process.execPath, [next, "start", "-H", "127.0.0.1", "-p", String(port)], {
        cwd: app,
        env: { ...process.env, ...env, NEXT_TELEMETRY_DISABLED: "1" },
        url: `http://127.0.0.1:${port}/`,
      });
      stops.push(server.stop);
      base = server.url;
    });

    it('runtime = "nodejs"', async () => assertSameAsExpress(await sendAll(`${base}api/node`, requests)));
    it('runtime = "edge"', async () => assertSameAsExpress(await sendAll(`${base}api/edge`, requests)));
  });
});

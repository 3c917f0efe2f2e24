// The built package (dist/, made by `npm test`'s build step) works from both import and require.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";

const run = (file: string) =>
  execFileSync(process.execPath, [fileURLToPath(new URL(`./fixtures/consumers/${file}`, import.meta.url))], {
    encoding: "utf8",
  }).trim();

describe("packaging", () => {
  it("require() from a CommonJS file loads dist/cjs", () => {
    assert.equal(run("require.cjs"), "cjs-ok");
  });
  it("import from an ES module loads dist/esm", () => {
    assert.equal(run("import.mjs"), "esm-ok");
  });
  it("the root entry keeps internals to itself (they would become API nobody meant to promise)", async () => {
    const esm = await import("gemini-webhooks-express");
    const cjs = createRequire(import.meta.url)("gemini-webhooks-express");
    for (const entry of [esm, cjs]) {
      assert.equal(typeof entry.geminiWebhooks, "function");
      for (const internal of ["isWebhookError", "BODY_DIGEST_CLAIMS", "BOUND_EVENT_FIELDS"])
        assert.equal(internal in entry, false, internal);
    }
  });
  it("the Fastify plugin never loads fastify itself (types only), so the package installs without it", () => {
    for (const build of ["esm", "cjs"]) {
      const code = readFileSync(new URL(`../dist/${build}/fastify.js`, import.meta.url), "utf8");
      assert.doesNotMatch(code, /require\("fastify"\)|from "fastify"|import\("fastify"\)/, build);
    }
  });
});

// The optional peer dependency @opentelemetry/api, found (or not) by each build the way an app would find it.
describe("packaging: @opentelemetry/api", () => {
  const fixture = (file: string) => fileURLToPath(new URL(`./fixtures/${file}`, import.meta.url));
  // Hidden: a preloaded resolver answers MODULE_NOT_FOUND for @opentelemetry/api, as in an app without it.
  const probe = (file: string, hidden: boolean) =>
    JSON.parse(
      execFileSync(
        process.execPath,
        hidden
          ? ["--require", fixture("hide-otel-api.cjs"), fixture(`consumers/${file}`)]
          : [fixture(`consumers/${file}`), "--with-sdk"],
        { encoding: "utf8" },
      ),
    );

  for (const file of ["telemetry-probe.cjs", "telemetry-probe.mjs"]) {
    const build = file.endsWith(".cjs") ? "CommonJS" : "ESM";
    it(`the ${build} build finds it: a delivery's span reaches the SDK the app registered`, () => {
      const result = probe(file, false);
      assert.equal(result.telemetry, "on");
      assert.equal(result.status, 200);
      assert.equal(result.handled, 1);
      assert.deepEqual(result.spans, [`gemini.webhooks.receive ${result.id}`]);
    });
    it(`the ${build} build without it installed: telemetry off, the delivery still answered 200`, () => {
      const result = probe(file, true);
      assert.ok(result.lookups > 0, "the package looked for @opentelemetry/api");
      assert.equal(result.telemetry, "off");
      assert.equal(result.status, 200);
      assert.equal(result.handled, 1);
    });
  }
});

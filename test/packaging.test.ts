// The built package (dist/, made by `npm test`'s build step) works from both import and require.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";

const run = (file: string) =>
  execFileSync(process.execPath, [fileURLToPath(new URL(`./fixtures/consumers/${file}`, import.meta.url))], { encoding: "utf8" }).trim();

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
      for (const internal of ["isWebhookError", "BODY_DIGEST_CLAIMS", "BOUND_EVENT_FIELDS"]) assert.equal(internal in entry, false, internal);
    }
  });
  it("the Fastify plugin never loads fastify itself (types only), so the package installs without it", () => {
    for (const build of ["esm", "cjs"]) {
      const code = readFileSync(new URL(`../dist/${build}/fastify.js`, import.meta.url), "utf8");
      assert.doesNotMatch(code, /require\("fastify"\)|from "fastify"|import\("fastify"\)/, build);
    }
  });
});

// The built package (dist/, made by `npm test`'s build step) works from both import and require.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
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
  it("the Fastify plugin never loads fastify itself (types only), so the package installs without it", () => {
    for (const build of ["esm", "cjs"]) {
      const code = readFileSync(new URL(`../dist/${build}/fastify.js`, import.meta.url), "utf8");
      assert.doesNotMatch(code, /require\("fastify"\)|from "fastify"|import\("fastify"\)/, build);
    }
  });
});

// The built package (dist/, made by `npm test`'s build step) works from both import and require.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
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
});

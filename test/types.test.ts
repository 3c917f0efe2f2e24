// The public types, checked by the compiler against the built declarations (what a user's editor sees).
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { createRequire } from "node:module";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";

const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");

describe("types", () => {
  it("event names narrow event.data; wrong fields and options are compile errors", () => {
    const project = fileURLToPath(new URL("./types/tsconfig.json", import.meta.url));
    const result = spawnSync(process.execPath, [tsc, "-p", project], { encoding: "utf8" });
    assert.equal(result.status, 0, result.stdout + result.stderr);
  });

  it("the whole project (src, tests, example app, bench, scripts) type-checks under strict mode", () => {
    const project = fileURLToPath(new URL("../tsconfig.json", import.meta.url));
    const result = spawnSync(process.execPath, [tsc, "-p", project], { encoding: "utf8" });
    assert.equal(result.status, 0, result.stdout + result.stderr);
  });
});

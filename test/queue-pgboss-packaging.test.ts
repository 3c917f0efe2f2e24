// The built `gemini-webhooks-express/pg-boss` subpath works from both import and require (dist/, made by
// `npm test`'s build step), the root entry does not load pg-boss, and the options are checked loudly.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { pgBossQueue } from "../src/pg-boss.js";

const run = (file: string) =>
  execFileSync(process.execPath, [fileURLToPath(new URL(`./fixtures/consumers/${file}`, import.meta.url))], {
    encoding: "utf8",
  }).trim();

describe("packaging: gemini-webhooks-express/pg-boss", () => {
  it("require() loads dist/cjs", () => {
    assert.equal(run("pgboss-require.cjs"), "cjs-ok");
  });
  it("import loads dist/esm", () => {
    assert.equal(run("pgboss-import.mjs"), "esm-ok");
  });
  it("the root entry never loads pg-boss (apps without a queue need not install it)", () => {
    const loaded = execFileSync(
      process.execPath,
      [
        "-e",
        'require("gemini-webhooks-express"); console.log(Object.keys(require.cache).some((p) => p.includes("node_modules/pg-boss")))',
      ],
      { encoding: "utf8" },
    ).trim();
    assert.equal(loaded, "false");
  });
  it("misconfiguration is loud and names the fix", () => {
    assert.throws(() => pgBossQueue({}), /give exactly one of "connectionString".*or "boss"/);
    assert.throws(
      () => pgBossQueue({ connectionString: "postgres://x/y", keepCompletedMs: 1_000 }),
      /keepCompletedMs" must be at least 90000000 \(25 h\)/,
    );
    assert.throws(() => pgBossQueue({ connectionString: "postgres://x/y", attempts: 0 }), /"attempts" must be/);
    assert.throws(
      () => pgBossQueue({ connectionString: "postgres://x/y", colour: 1 } as never),
      /colour/,
      "unknown options are refused",
    );
  });
});

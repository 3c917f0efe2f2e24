// The built `gemini-webhooks-express/bullmq` subpath works from both import and require (dist/, made by
// `npm test`'s build step), and the root entry does not load BullMQ.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";

const run = (file: string, args: string[] = []) =>
  execFileSync(process.execPath, [...args, fileURLToPath(new URL(`./fixtures/consumers/${file}`, import.meta.url))], {
    encoding: "utf8",
  }).trim();

describe("packaging: gemini-webhooks-express/bullmq", () => {
  it("require() loads dist/cjs", () => {
    assert.equal(run("bullmq-require.cjs"), "cjs-ok");
  });
  it("import loads dist/esm", () => {
    assert.equal(run("bullmq-import.mjs"), "esm-ok");
  });
  it("the root entry never loads bullmq (apps without a queue need not install it)", () => {
    const loaded = execFileSync(
      process.execPath,
      [
        "-e",
        'require("gemini-webhooks-express"); console.log(Object.keys(require.cache).some((p) => p.includes("node_modules/bullmq")))',
      ],
      { encoding: "utf8" },
    ).trim();
    assert.equal(loaded, "false");
  });
});

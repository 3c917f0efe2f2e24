// Node 22 and 24, besides the Node this suite runs on: the receiver contract (every adapter: Express 5 and 4, the
// Web handler under Hono and called directly, Fastify; every scheme: v1, v1a, JWT) and the reference vectors,
// run by the Node binaries the `node@22` and `node@24` npm packages ship (installed by `npm ci --prefix runtimes`).
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { it } from "node:test";
import { ROOT, RUNTIMES, RUNTIMES_SERVICE, run } from "./support/runtime-matrix.js";
import { describeNeeding } from "./support/services.js";

const CONTRACT_SUBSET = ["test/contract.test.ts", "test/vectors.test.ts", "test/web.test.ts", "test/fastify.test.ts"];

describeNeeding(RUNTIMES_SERVICE, "the contract on other Node versions", () => {
  for (const [name, major] of [
    ["node22", "22"],
    ["node24", "24"],
  ] as const) {
    it(`passes under Node ${major}`, async () => {
      const node = `${RUNTIMES}node_modules/${name}/bin/node`;
      assert.match(execFileSync(node, ["--version"], { encoding: "utf8" }), new RegExp(`^v${major}\\.`));
      const env = { ...process.env };
      delete env.NODE_OPTIONS;
      // Set by the runner of this very file; a child runner that inherits it reports to us instead of running.
      delete env.NODE_TEST_CONTEXT;
      const output = await run(node, ["--import", "tsx", "--test", "--test-reporter", "tap", ...CONTRACT_SUBSET], {
        cwd: ROOT,
        env,
      });
      assert.match(output, /^# fail 0$/m, output);
      assert.match(output, /^# skipped 0$/m, output);
      const count = (label: string) => Number(new RegExp(`^# ${label} (\\d+)$`, "m").exec(output)?.[1]);
      assert.ok(count("tests") > 0, output);
      assert.equal(count("pass"), count("tests"), output);
    });
  }
});

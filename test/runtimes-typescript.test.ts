// A consumer project (runtimes/consumer) compiled against the packed package, as `npm install` would place it,
// by TypeScript 7 and TypeScript 5.x (both installed by `npm ci --prefix runtimes`), with `strict` and
// `skipLibCheck: false`: the published declaration files must hold under both compilers.
import assert from "node:assert/strict";
import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { before, it } from "node:test";
import { ROOT, RUNTIMES, RUNTIMES_SERVICE, run } from "./support/runtime-matrix.js";
import { describeNeeding } from "./support/services.js";

const CONSUMER = `${RUNTIMES}.work/consumer/`;
const COMPILERS = [
  ["TypeScript 7", `${RUNTIMES}node_modules/typescript/bin/tsc`, /^Version 7\./],
  ["TypeScript 5", `${RUNTIMES}node_modules/typescript5/bin/tsc`, /^Version 5\./],
] as const;

describeNeeding(RUNTIMES_SERVICE, "a consumer project compiles against the packed types", () => {
  before(async () => {
    // npm pack takes dist/ as `npm test` built it; the tarball's contents are what a consumer's node_modules gets.
    rmSync(CONSUMER, { recursive: true, force: true });
    const installed = `${CONSUMER}node_modules/gemini-webhooks-express/`;
    mkdirSync(installed, { recursive: true });
    cpSync(`${RUNTIMES}consumer/`, CONSUMER, { recursive: true });
    const packed = await run("npm", ["pack", "--silent", "--pack-destination", `${RUNTIMES}.work`], {
      cwd: ROOT,
      env: process.env,
    });
    const tarball = packed.trim().split("\n").pop()!;
    await run("tar", ["-xzf", `${RUNTIMES}.work/${tarball}`, "-C", installed, "--strip-components=1"], {
      cwd: ROOT,
      env: process.env,
    });
    const config = JSON.parse(readFileSync(`${CONSUMER}tsconfig.json`, "utf8")).compilerOptions;
    assert.deepEqual(
      { strict: config.strict, skipLibCheck: config.skipLibCheck },
      { strict: true, skipLibCheck: false },
    );
  });

  for (const [name, tsc, version] of COMPILERS) {
    it(`${name}: the consumer compiles, and a wrongly typed handler does not`, async () => {
      assert.match(await run(process.execPath, [tsc, "--version"], { cwd: CONSUMER, env: process.env }), version);
      await run(process.execPath, [tsc, "-p", "."], { cwd: CONSUMER, env: process.env });

      // The same compile must fail on a type error, or the pass above would prove nothing.
      const broken = `${CONSUMER}src/broken.ts`;
      writeFileSync(
        broken,
        'import { geminiWebhooks } from "gemini-webhooks-express";\n' +
          'geminiWebhooks({ secret: undefined }).on("batch.succeeded", (event) => {\n' +
          "  const wrong: number = event.data.id;\n" +
          "  return wrong;\n" +
          "});\n",
      );
      try {
        await assert.rejects(run(process.execPath, [tsc, "-p", "."], { cwd: CONSUMER, env: process.env }), /TS2322/);
      } finally {
        rmSync(broken);
      }
    });
  }
});

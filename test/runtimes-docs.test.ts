// docs/runtimes.md shows the runtime matrix's own files as its per-runtime snippets: each block marked
// `<!-- file: PATH -->` must equal that file, so the documented code is the code test/runtimes.test.ts runs.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { ROOT } from "./support/runtime-matrix.js";

const MATRIX_FILES = [
  "runtimes/apps/webhooks.ts",
  "runtimes/apps/worker/wrangler.toml",
  "runtimes/apps/worker/src/index.ts",
  "runtimes/apps/deno/server.ts",
  "runtimes/apps/bun/server.ts",
  "runtimes/next-app/lib/webhooks.ts",
  "runtimes/next-app/app/api/node/route.ts",
  "runtimes/next-app/app/api/edge/route.ts",
];

describe("docs/runtimes.md: the per-runtime snippets are the matrix's files", () => {
  const page = readFileSync(`${ROOT}docs/runtimes.md`, "utf8");
  const shown = new Map(
    [...page.matchAll(/<!-- file: (\S+) -->\n```[a-z]*\n([\s\S]*?)```\n/g)].map(([, path, body]) => [path!, body!]),
  );

  it("shows every file of the matrix, and no other", () => {
    assert.deepEqual([...shown.keys()].sort(), [...MATRIX_FILES].sort());
  });

  for (const path of MATRIX_FILES)
    it(path, () => assert.equal(shown.get(path), readFileSync(`${ROOT}${path}`, "utf8"), `docs/runtimes.md: ${path}`));
});

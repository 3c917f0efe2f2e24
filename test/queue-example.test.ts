// `npm run example -- --queue --demo`: the example app with the BullMQ queue on REDIS_URL and a worker in
// the same process. Every delivery is answered at once (202 queued), the worker runs every handler, and
// the 2 s batch.succeeded handler is answered in milliseconds.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { REDIS_URL, SKIP_WITHOUT_REDIS } from "./support/redis-helpers.js";

const root = fileURLToPath(new URL("..", import.meta.url));

describe("example app with --queue", { skip: SKIP_WITHOUT_REDIS }, () => {
  it("the demo answers every verified delivery 202 queued, the worker handles each once, a slow handler is answered at once", async () => {
    const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith("GEMINI_WEBHOOK")));
    const child = spawn(process.execPath, ["--import", "tsx", "example-app/server.ts", "--queue", "--demo"], {
      cwd: root,
      env: { ...env, REDIS_URL, TSX_TSCONFIG_PATH: "example-app/tsconfig.json" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (chunk) => (output += chunk));
    child.stderr.on("data", (chunk) => (output += chunk));
    const code = await new Promise<number | null>((resolve) => child.once("close", resolve));
    assert.equal(code, 0, output);

    const rows = output
      .split("\n")
      .filter((line) => /^\d+\s/.test(line))
      .map((line) => line.split(/\s{2,}/))
      .filter((cells) => cells.length === 8);
    const plain = rows.filter((cells) => cells[3] === "-");
    assert.equal(plain.length, 27);
    for (const row of plain) assert.deepEqual([row[4], row[5], row.at(-1)], ["202", "queued", "ok"], row.join(" | "));
    const duplicate = rows.find((cells) => cells[3] === "duplicate")!;
    assert.deepEqual([duplicate[4], duplicate[5], duplicate[6]], ["200", "duplicate", "(not called again)"]);
    const slow = /answered 202 in at most (\d+) ms; the worker finished them (\d+\.\d)/.exec(output);
    assert.ok(slow, output);
    assert.ok(Number(slow[1]) < 1_000, `answered in ${slow[1]} ms`);
    assert.ok(Number(slow[2]) >= 1.9, "the handler really took its 2 s, after the answer");
    assert.match(output, /Everything behaved as expected\.\n$/);
  });
});

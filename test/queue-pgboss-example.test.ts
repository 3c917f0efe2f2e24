// `npm run example -- --queue postgres --demo`: the example app with the pg-boss queue on DATABASE_URL and a worker in
// the same process. Every delivery is answered at once (202 queued), the worker runs every handler, and
// the 2 s batch.succeeded handler is answered in milliseconds.
import assert from "node:assert/strict";
import { it } from "node:test";
import { environmentWithout, runExample } from "./support/processes.js";
import { DATABASE_URL, POSTGRES } from "./support/postgres-helpers.js";
import { describeNeeding } from "./support/services.js";

describeNeeding(POSTGRES, "example app with --queue postgres", () => {
  it("the demo answers every verified delivery 202 queued, the worker handles each once, a slow handler is answered at once", async () => {
    const env = environmentWithout((name) => name.startsWith("GEMINI_WEBHOOK") || name === "REDIS_URL");
    const { code, output, rows } = await runExample(["--queue", "postgres", "--demo"], { ...env, DATABASE_URL });
    assert.equal(code, 0, output);
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

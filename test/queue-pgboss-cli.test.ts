// `gemini-webhooks queue failed|retry` on a pg-boss queue, run from dist (as the package's bin) against a
// real PostgreSQL.
import assert from "node:assert/strict";
import { after, test } from "node:test";
import { pgBossQueue } from "../src/pg-boss.js";
import { freshId } from "./support/helpers.js";
import { DATABASE_URL, freshName, POSTGRES } from "./support/postgres-helpers.js";
import { CLI_PATH, environmentWithout, run, type Run } from "./support/processes.js";
import { eventually, queuedDelivery } from "./support/queue-helpers.js";
import { describeNeeding } from "./support/services.js";

const baseEnv = environmentWithout((name) => name === "REDIS_URL" || name === "DATABASE_URL");

function cli(args: string[], env: Record<string, string> = {}): Promise<Run> {
  return run(CLI_PATH, args, { ...baseEnv, ...env });
}

describeNeeding(POSTGRES, "gemini-webhooks queue on pg-boss", () => {
  const name = freshName("cli");
  const queue = pgBossQueue({ connectionString: DATABASE_URL!, name, attempts: 1 });
  let failing = true;
  const handled: string[] = [];
  const worker = queue.work(
    async (delivery) => {
      if (failing) throw new Error("billing API answered 502\n    at charge (billing.ts:12)");
      handled.push(delivery.context.webhookId);
    },
    { pollingIntervalSeconds: 0.5 },
  );

  after(async () => {
    await worker.close();
    await queue.close();
  });

  test("failed lists exhausted deliveries with their last error; retry moves one back to the queue", async () => {
    const id = freshId();
    await queue.enqueue(queuedDelivery(id, "batch.failed"));
    await eventually(
      async () => (await queue.failed()).some((failed) => failed.webhookId === id),
      30_000,
      "the failed listing",
    );

    const listed = await cli(["queue", "failed", "--engine", "pg-boss", "--name", name], {
      DATABASE_URL: DATABASE_URL!,
    });
    assert.equal(listed.code, 0, listed.stderr);
    assert.match(listed.stdout, /1 failed delivery \(oldest first\)/);
    const line = listed.stdout.split("\n").find((text) => text.includes(id));
    assert.ok(line, listed.stdout);
    assert.match(line, /batch\.failed {2}1 attempts {2}failed \d{4}-\d\d-\d\dT.* billing API answered 502 at charge/);

    const json = await cli(["queue", "failed", "--name", name, "--json", "--postgres", DATABASE_URL!]);
    assert.equal(JSON.parse(json.stdout)[0].webhookId, id);

    failing = false;
    const retried = await cli(["queue", "retry", id, "--name", name, "--postgres", DATABASE_URL!]);
    assert.deepEqual([retried.code, retried.stdout.trim()], [0, `${id}  retried`]);
    await eventually(() => handled.includes(id), 30_000, "the retried delivery to be handled");

    const again = await cli(["queue", "retry", id, freshId(), "--name", name, "--postgres", DATABASE_URL!]);
    assert.equal(again.code, 1);
    assert.match(again.stdout, /not failed/);
    assert.match(again.stdout, /not found/);
  });

  test("usage errors exit 2 and name the fix: no URL for pg-boss, both engines' flags", async () => {
    const noUrl = await cli(["queue", "failed", "--engine", "pg-boss"]);
    assert.equal(noUrl.code, 2);
    assert.match(noUrl.stderr, /--postgres <url> \(or \$DATABASE_URL\) is required with --engine pg-boss/);
    const both = await cli(["queue", "failed", "--postgres", DATABASE_URL!, "--redis", "redis://127.0.0.1:1"]);
    assert.equal(both.code, 2);
    assert.match(both.stderr, /--redis is for a BullMQ queue/);
    assert.doesNotMatch(both.stderr, /postgres:\/\//, "the URL (it may hold a password) is not echoed");
  });
});

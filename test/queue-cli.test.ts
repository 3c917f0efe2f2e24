// `gemini-webhooks queue failed|retry`, run from dist (as the package's bin) against a real Redis.
import assert from "node:assert/strict";
import { after, test } from "node:test";
import { bullmqQueue } from "../src/bullmq.js";
import { freshId } from "./support/helpers.js";
import { CLI_PATH, environmentWithout, run, type Run } from "./support/processes.js";
import { eventually, freshQueueName, queuedDelivery } from "./support/queue-helpers.js";
import { REDIS, REDIS_URL } from "./support/redis-helpers.js";
import { describeNeeding } from "./support/services.js";

const baseEnv = environmentWithout((name) => name === "REDIS_URL");

function cli(args: string[], env: Record<string, string> = {}): Promise<Run> {
  return run(CLI_PATH, args, { ...baseEnv, ...env });
}

describeNeeding(REDIS, "gemini-webhooks queue", () => {
  const name = freshQueueName("cli");
  const queue = bullmqQueue({ connection: REDIS_URL!, name, attempts: 1 });
  let failing = true;
  const handled: string[] = [];
  const worker = queue.work(async (delivery) => {
    if (failing) throw new Error("billing API answered 502\n    at charge (billing.ts:12)");
    handled.push(delivery.context.webhookId);
  });

  after(async () => {
    await worker.close();
    await queue.queue().obliterate({ force: true });
    await queue.close();
  });

  test("failed lists exhausted deliveries with their last error; retry moves one back to the queue", async () => {
    const id = freshId();
    await queue.enqueue(queuedDelivery(id, "batch.failed"));
    await eventually(
      async () => (await queue.failed()).some((failed) => failed.webhookId === id),
      30_000,
      "the failed set",
    );

    const listed = await cli(["queue", "failed", "--name", name], { REDIS_URL: REDIS_URL! });
    assert.equal(listed.code, 0, listed.stderr);
    assert.match(listed.stdout, /1 failed delivery/);
    const line = listed.stdout.split("\n").find((text) => text.includes(id));
    assert.ok(line, listed.stdout);
    assert.match(
      line,
      /batch\.failed {2}1 attempts {2}failed \d{4}-\d\d-\d\dT.* billing API answered 502 at charge/,
      "one line per delivery",
    );

    const json = await cli(["queue", "failed", "--name", name, "--json", "--redis", REDIS_URL!]);
    assert.equal(JSON.parse(json.stdout)[0].webhookId, id);

    failing = false;
    const retried = await cli(["queue", "retry", id, "--name", name, "--redis", REDIS_URL!]);
    assert.deepEqual([retried.code, retried.stdout.trim()], [0, `${id}  retried`]);
    await eventually(() => handled.includes(id), 30_000, "the retried delivery to be handled");

    const again = await cli(["queue", "retry", id, freshId(), "--name", name, "--redis", REDIS_URL!]);
    assert.equal(again.code, 1);
    assert.match(again.stdout, /not failed/);
    assert.match(again.stdout, /not found/);
  });

  test("usage errors exit 2 with a hint: no Redis given, an unknown action", async () => {
    const noRedis = await cli(["queue", "failed"]);
    assert.equal(noRedis.code, 2);
    assert.match(noRedis.stderr, /--redis <url> \(or \$REDIS_URL\) is required/);
    const unknown = await cli(["queue", "purge", "--redis", REDIS_URL!]);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /unknown queue action "purge"/);
    const help = await cli(["queue", "--help"]);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /gemini-webhooks queue retry <webhook-id>/);
  });
});

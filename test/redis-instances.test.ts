// Two receivers behind one Redis, as behind a load balancer: one in this process, one in a child
// process. Whichever instance a copy or a retry lands on, the handler runs once in total.
import assert from "node:assert/strict";
import { fork, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { fileURLToPath } from "node:url";
import { after, before, test } from "node:test";
import { batchSucceeded, freshId, inBatches, post, signedDelivery, tally } from "./support/helpers.js";
import { deleteKeysUnder, freshPrefix, REDIS, REDIS_URL } from "./support/redis-helpers.js";
import { describeNeeding } from "./support/services.js";
import { startInstance, type HandlerRun, type RunningInstance } from "./support/redis-instance.js";

const CHILD_SCRIPT = fileURLToPath(new URL("./fixtures/redis-instance-process.ts", import.meta.url));

describeNeeding(REDIS, "two instances sharing one Redis", () => {
  const prefix = freshPrefix("instances");
  let local: RunningInstance; // instance "local", in this process
  let child: ChildProcess; // instance "child", in its own process
  let childUrl: string;

  before(async () => {
    child = fork(CHILD_SCRIPT, [], {
      execArgv: ["--import", "tsx"],
      env: { ...process.env, INSTANCE_NAME: "child", REDIS_URL, REDIS_PREFIX: prefix },
      stdio: ["ignore", "inherit", "inherit", "ipc"],
    });
    const [ready] = (await once(child, "message")) as [{ type: string; url: string }];
    childUrl = ready.url;
    local = await startInstance({ name: "local", redisUrl: REDIS_URL!, prefix });
  });

  after(async () => {
    await deleteKeysUnder(local.redis, prefix);
    await local.close();
    child.disconnect();
    if (child.exitCode === null) await once(child, "exit");
  });

  /** Every handler run on both instances (the child's asked over IPC, which is ordered). */
  async function allRuns(): Promise<HandlerRun[]> {
    child.send({ type: "runs" });
    const [reply] = (await once(child, "message")) as [{ runs: HandlerRun[] }];
    return [...local.runs, ...reply.runs];
  }

  test("500 copies of one delivery spread across both instances: the handler runs exactly once", async () => {
    const id = freshId();
    const delivery = signedDelivery(batchSucceeded(), { id });
    const urls = [local.url, childUrl];
    const answers = await inBatches(500, 50, (i) => post(urls[i % 2]!, delivery));

    const outcomes = tally(answers);
    assert.equal(outcomes["200 received"], 1, JSON.stringify(outcomes));
    assert.equal(
      (outcomes["200 duplicate"] ?? 0) + (outcomes["409 delivery_in_progress"] ?? 0),
      499,
      JSON.stringify(outcomes),
    );
    for (const answer of answers.filter((a) => a.status === 409)) assert.ok(answer.headers.get("retry-after"));
    assert.deepEqual(
      (await allRuns()).filter((run) => run.webhookId === id).length,
      1,
      "one handler run across both instances",
    );
    // The copies that got 409 are retried by Gemini later: then both instances say duplicate.
    for (const url of urls)
      assert.deepEqual((await post(url, signedDelivery(batchSucceeded(), { id }))).json, { status: "duplicate" });
  });

  test("a handler failing on one instance: the retry on the other instance runs it", async () => {
    const id = freshId();
    const event = batchSucceeded("fail-on:child");

    const first = await post(childUrl, signedDelivery(event, { id }));
    assert.equal(first.status, 500);
    assert.equal(first.json.error, "handler_failed");

    const retry = await post(local.url, signedDelivery(event, { id }));
    assert.deepEqual([retry.status, retry.json], [200, { status: "received" }]);

    const late = await post(childUrl, signedDelivery(event, { id }));
    assert.deepEqual([late.status, late.json], [200, { status: "duplicate" }]);

    const runs = (await allRuns()).filter((run) => run.webhookId === id).map((run) => run.instance);
    assert.deepEqual(runs.sort(), ["child", "local"]);
  });
});

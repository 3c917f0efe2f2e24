// Redis trouble through a real receiver: a Redis that hangs or is unreachable gives a bounded 503
// store_unavailable with Retry-After (Gemini retries, nothing lost), and the receiver recovers on its
// own once Redis is back. A TCP proxy between ioredis and the real Redis plays the outage.
import assert from "node:assert/strict";
import { setTimeout as delay } from "node:timers/promises";
import { after, afterEach, before, test } from "node:test";
import { RedisCommandTimeoutError } from "../src/redis.js";
import { batchSucceeded, freshId, post, signedDelivery, type Answer } from "./support/helpers.js";
import { deleteKeysUnder, freshPrefix, ioredisClient, REDIS, RedisProxy } from "./support/redis-helpers.js";
import { describeNeeding } from "./support/services.js";
import { startInstance, type RunningInstance } from "./support/redis-instance.js";

// Long enough that a healthy round trip on a loaded machine never times out (a claim that did would turn the
// handler-failure cases into 503s), short enough to keep the hung cases quick.
const COMMAND_TIMEOUT_MS = 2_000;

describeNeeding(REDIS, "the receiver when Redis is in trouble", () => {
  const prefix = freshPrefix("outage");
  let proxy: RedisProxy;
  let instance: RunningInstance;
  let breakRedisDuringHandler = false;

  before(async () => {
    proxy = await RedisProxy.start();
    instance = await startInstance({
      name: "only",
      redisUrl: proxy.url,
      prefix,
      commandTimeoutMs: COMMAND_TIMEOUT_MS,
      duringHandler: () => {
        if (breakRedisDuringHandler) proxy.setMode("stall");
      },
    });
  });

  afterEach(() => {
    breakRedisDuringHandler = false;
    proxy.setMode("up");
    instance.errors.length = 0;
  });

  after(async () => {
    await instance.close();
    await proxy.close();
    const direct = ioredisClient();
    await deleteKeysUnder(direct, prefix);
    await direct.quit();
  });

  function assertStoreUnavailable(answer: Answer): void {
    assert.equal(answer.status, 503);
    assert.equal(answer.json.error, "store_unavailable");
    assert.equal(answer.headers.get("retry-after"), "30");
    assert.doesNotMatch(JSON.stringify(answer.json), /Redis|SET|timeout|ECONN/i, "no internals in the answer");
  }

  /** Posts fresh signatures of one delivery until it is not 503/409, a bounded number of times. */
  async function retryUntilAnswered(event: object, id: string): Promise<Answer> {
    let answer = await post(instance.url, signedDelivery(event, { id }));
    for (let attempt = 0; attempt < 100 && (answer.status === 503 || answer.status === 409); attempt++) {
      await delay(100); // Gemini's retry backoff, compressed
      answer = await post(instance.url, signedDelivery(event, { id }));
    }
    return answer;
  }

  /** Waits until a fresh delivery is handled end to end: the client has reconnected after an earlier case. */
  async function healthy(): Promise<void> {
    const answer = await retryUntilAnswered(batchSucceeded(), freshId());
    assert.equal(answer.status, 200, "Redis answers again before the case starts");
    instance.errors.length = 0;
  }

  test("a Redis that accepts connections and never answers → 503 store_unavailable, bounded, reported; then recovery", async () => {
    proxy.setMode("stall");
    const id = freshId();
    const answer = await post(instance.url, signedDelivery(batchSucceeded(), { id }));
    assertStoreUnavailable(answer);
    assert.equal(
      instance.runs.filter((run) => run.webhookId === id).length,
      0,
      "the handler does not run without a claim",
    );
    const [reported] = instance.errors;
    assert.equal(reported?.code, "store_unavailable");
    assert.equal(reported?.webhookId, id);
    assert.ok(reported?.cause instanceof RedisCommandTimeoutError);

    // Redis is back: the same client reconnects, nothing restarts, and Gemini's retry is processed once.
    proxy.setMode("up");
    const retried = await retryUntilAnswered(batchSucceeded(), id);
    assert.deepEqual([retried.status, retried.json], [200, { status: "received" }]);
    assert.equal(instance.runs.filter((run) => run.webhookId === id).length, 1);
    assert.deepEqual((await post(instance.url, signedDelivery(batchSucceeded(), { id }))).json, {
      status: "duplicate",
    });
  });

  test("an unreachable Redis (connections refused) → 503 store_unavailable; then recovery", async () => {
    proxy.setMode("down");
    const id = freshId();
    assertStoreUnavailable(await post(instance.url, signedDelivery(batchSucceeded(), { id })));
    assertStoreUnavailable(await post(instance.url, signedDelivery(batchSucceeded(), { id })));
    assert.ok(instance.errors.length >= 2 && instance.errors.every((error) => error.code === "store_unavailable"));
    assert.equal(instance.runs.filter((run) => run.webhookId === id).length, 0);

    proxy.setMode("up");
    const retried = await retryUntilAnswered(batchSucceeded(), id);
    assert.deepEqual([retried.status, retried.json], [200, { status: "received" }]);
    assert.equal(instance.runs.filter((run) => run.webhookId === id).length, 1);
  });

  test("Redis failing after the handlers ran: the answer is still 200 (no re-run), the failed complete is reported", async () => {
    await healthy();
    breakRedisDuringHandler = true;
    const id = freshId();
    const answer = await post(instance.url, signedDelivery(batchSucceeded(), { id }));
    assert.deepEqual([answer.status, answer.json], [200, { status: "received" }]);
    const [reported] = instance.errors;
    assert.equal(reported?.code, "store_unavailable");
    assert.match(reported?.message ?? "", /could not mark the delivery done/);
  });

  test("a handler failure while Redis hangs: 500 handler_failed, the failed release is reported", async () => {
    await healthy();
    breakRedisDuringHandler = true;
    const id = freshId();
    const answer = await post(instance.url, signedDelivery(batchSucceeded("fail-on:only"), { id }));
    assert.deepEqual([answer.status, answer.json.error], [500, "handler_failed"]);
    const codes = instance.errors.map((error) => error.code).sort();
    assert.deepEqual(codes, ["handler_failed", "store_unavailable"]);
  });
});

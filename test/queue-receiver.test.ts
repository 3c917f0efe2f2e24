// The receiver with the BullMQ queue, against a real Redis: what is answered when (202 only once Redis
// stored the job, duplicates, refusals that never reach Redis, 503 when Redis is down or hung), and what
// the worker does (ctx, retries with backoff, the failed set, unknown types, lifecycle, failing listeners).
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { setTimeout as delay } from "node:timers/promises";
import express from "express";
import { after, test } from "node:test";
import { geminiWebhooks } from "../src/index.js";
import type { WebhookError } from "../src/errors.js";
import type { DeliveryLifecycleEvent } from "../src/lifecycle.js";
import { bullmqQueue, jobIdFor, QueueTimeoutError, type BullmqQueueOptions } from "../src/bullmq.js";
import { batchSucceeded, freshId, listen, post, SECRET, signedDelivery, type Answer } from "./support/helpers.js";
import { eventually, freshQueueName, PrivateRedis } from "./support/queue-helpers.js";
import { startQueueInstance, type QueueInstance, type QueueInstanceOptions } from "./support/queue-instance.js";
import { ioredisClient, keysUnder, REDIS, REDIS_URL, RedisProxy } from "./support/redis-helpers.js";
import { describeNeeding } from "./support/services.js";

describeNeeding(REDIS, "the receiver with a BullMQ queue", () => {
  const cleanups: (() => Promise<unknown>)[] = [];
  after(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  });

  /** A receiver (and, with `work`, a worker) on a queue and BullMQ prefix of its own. */
  async function instance(
    options: Omit<Partial<QueueInstanceOptions>, "queue"> & { queue?: Partial<BullmqQueueOptions> } = {},
  ): Promise<QueueInstance> {
    const queue: BullmqQueueOptions = {
      connection: REDIS_URL!,
      name: freshQueueName(),
      prefix: `gwx-${randomBytes(4).toString("hex")}`,
      ...options.queue,
    };
    const started = await startQueueInstance({ name: "test", receive: true, ...options, queue });
    // (the stage "received" comes before the webhook-id is known, so per-id stage lists start at "verified")
    cleanups.push(async () => {
      await started.close();
      const cleaner = bullmqQueue({ ...queue, connection: REDIS_URL! });
      await cleaner
        .queue()
        .obliterate({ force: true })
        .catch(() => {});
      await cleaner.close();
    });
    return started;
  }

  const stagesOf = (events: DeliveryLifecycleEvent[], id: string) =>
    events.filter((e) => e.webhookId === id).map((e) => e.stage);
  // The web process's reports and the worker's interleave (a worker may start the job before the web side
  // has reported "queued"); the worker's carry the attempt.
  const workerStagesOf = (events: DeliveryLifecycleEvent[], id: string) =>
    events.filter((e) => e.webhookId === id && e.attempt !== undefined).map((e) => `${e.stage} ${e.attempt}`);
  const webStagesOf = (events: DeliveryLifecycleEvent[], id: string) =>
    events.filter((e) => e.webhookId === id && e.attempt === undefined).map((e) => e.stage);

  test("a verified delivery is answered 202 queued once its job is in Redis; the lifecycle says queued", async () => {
    const receiver = await instance();
    const id = freshId();
    const answer = await post(receiver.url!, signedDelivery(batchSucceeded(), { id }));
    assert.deepEqual([answer.status, answer.json], [202, { status: "queued" }]);
    // Read through a connection of its own, right after the answer: the job was stored before it.
    const reader = bullmqQueue({
      connection: REDIS_URL!,
      name: receiver.queue.name,
      prefix: (await receiver.queue.queue()).opts.prefix,
    });
    try {
      const job = await reader.queue().getJob(jobIdFor(id));
      assert.equal(job?.data.context.webhookId, id);
      assert.equal(job?.data.event.type, "batch.succeeded");
    } finally {
      await reader.close();
    }
    assert.deepEqual(stagesOf(receiver.stages, id), ["verified", "queued"]);
    assert.equal(receiver.runs.length, 0, "no handler runs in a web process without a worker");
  });

  test("a duplicate adds no job: 200 duplicate from the dedupe store, and from the queue itself without one", async () => {
    for (const dedupe of [undefined, false] as const) {
      const receiver = await instance(dedupe === false ? { dedupe } : {});
      const id = freshId();
      const first = await post(receiver.url!, signedDelivery(batchSucceeded(), { id }));
      const copy = await post(receiver.url!, signedDelivery(batchSucceeded(), { id }));
      assert.deepEqual(
        [first.status, copy.status, copy.json],
        [202, 200, { status: "duplicate" }],
        `dedupe ${String(dedupe)}`,
      );
      const counts = await receiver.queue.queue().getJobCounts();
      assert.equal(
        Object.values(counts).reduce((a, b) => a + b, 0),
        1,
        JSON.stringify(counts),
      );
    }
  });

  test("forged, stale and malformed deliveries are refused as before and never reach Redis", async () => {
    const prefix = `gwx-${randomBytes(4).toString("hex")}`;
    const receiver = await instance({ queue: { prefix } });
    const forged = signedDelivery(batchSucceeded(), { secret: "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD" });
    const stale = signedDelivery(batchSucceeded(), { timestamp: Math.floor(Date.now() / 1000) - 3600 });
    const malformed = signedDelivery("not json at all");
    const answers = await Promise.all([forged, stale, malformed].map((delivery) => post(receiver.url!, delivery)));
    assert.deepEqual(
      answers.map((a) => [a.status, a.json.error]),
      [
        [401, "invalid_signature"],
        [401, "timestamp_too_old"],
        [400, "invalid_payload"],
      ],
    );
    const redis = ioredisClient();
    try {
      assert.deepEqual(await keysUnder(redis, prefix), [], "not one key written");
    } finally {
      redis.disconnect();
    }
  });

  test("the worker runs the handler with a serializable ctx and ctx.attempt; failed attempts are retried after the backoff", async () => {
    const app = await instance({ work: {}, queue: { backoff: 150 } });
    const id = freshId();
    const delivery = signedDelivery(batchSucceeded("fail-until:3"), { id });
    assert.equal((await post(app.url!, delivery)).status, 202);
    await eventually(
      () => app.runs.some((run) => run.webhookId === id && run.phase === "end"),
      30_000,
      "the third attempt",
    );

    const starts = app.runs.filter((run) => run.webhookId === id && run.phase === "start");
    assert.deepEqual(
      starts.map((run) => [run.attempt, run.maxAttempts]),
      [
        [1, 8],
        [2, 8],
        [3, 8],
      ],
    );
    assert.ok(starts[1]!.at - starts[0]!.at >= 140, `backoff: ${starts[1]!.at - starts[0]!.at} ms`);
    assert.deepEqual(
      starts[0]!.ctxKeys,
      ["attempt", "maxAttempts", "rawBody", "scheme", "secretIndex", "source", "timestamp", "webhookId"],
      "no request",
    );
    assert.equal(starts[0]!.rawBody, delivery.body, "ctx.rawBody: the exact verified bytes, in the worker too");
    assert.deepEqual(webStagesOf(app.stages, id), ["verified", "queued"]);
    assert.deepEqual(workerStagesOf(app.stages, id), [
      "started 1",
      "retrying 1",
      "started 2",
      "retrying 2",
      "started 3",
      "handled 3",
    ]);
    const failures = app.errors.filter((error) => error.webhookId === id);
    assert.deepEqual(
      failures.map((error) => [error.code, error.eventType, (error.cause as Error).message]),
      [
        ["handler_failed", "batch.succeeded", "failing attempt 1"],
        ["handler_failed", "batch.succeeded", "failing attempt 2"],
      ],
    );
  });

  test("exhausted attempts: lifecycle failed, the delivery stays in the failed set, and retry() runs it again", async () => {
    const app = await instance({ work: {}, queue: { attempts: 2, backoff: 10 } });
    const id = freshId();
    app.failing.add(id);
    assert.equal((await post(app.url!, signedDelivery(batchSucceeded("fail-while-listed"), { id }))).status, 202);
    const [failed] = await eventually(
      async () => {
        const list = await app.queue.failed();
        return list.length > 0 ? list : undefined;
      },
      30_000,
      "the failed set",
    );
    assert.deepEqual([failed!.webhookId, failed!.attemptsMade, failed!.failedReason], [id, 2, "listed as failing"]);
    assert.deepEqual(workerStagesOf(app.stages, id), ["started 1", "retrying 1", "started 2", "failed 2"]);
    assert.match(app.errors.at(-1)!.message, /attempt 2 of 2, the last/);
    // Gemini's copy of it changes nothing: the job exists (failed), so nothing is added.
    assert.deepEqual((await post(app.url!, signedDelivery(batchSucceeded("fail-while-listed"), { id }))).json, {
      status: "duplicate",
    });

    app.failing.delete(id);
    assert.equal(await app.queue.retry(id), "retried");
    await eventually(
      () => app.runs.some((run) => run.webhookId === id && run.phase === "end"),
      30_000,
      "the retried run",
    );
    assert.equal(app.runs.filter((run) => run.webhookId === id && run.phase === "end")[0]!.attempt, 1);
    assert.deepEqual(await app.queue.failed(), []);
  });

  test("an unknown event type is queued by a web process with no handlers and completed by the worker as unhandled", async () => {
    const name = freshQueueName("unknown");
    const webQueue = bullmqQueue({ connection: REDIS_URL!, name });
    const web = geminiWebhooks({ secret: SECRET, queue: webQueue });
    const workerQueue = bullmqQueue({ connection: REDIS_URL!, name });
    const workerSide = geminiWebhooks({ secret: SECRET, queue: workerQueue });
    const stages: DeliveryLifecycleEvent[] = [];
    workerSide.onLifecycle((event) => stages.push(event));
    workerSide.on("batch.succeeded", () => assert.fail("not this type"));
    const worker = workerSide.work();
    const app = express().use("/webhooks", web);
    const server = await listen(app);
    cleanups.push(async () => {
      await server.close();
      await webQueue.close();
      await worker.close();
      await workerQueue.queue().obliterate({ force: true });
      await workerQueue.close();
    });
    const id = freshId();
    const event = { type: "brand.new.event", version: "v1", timestamp: "2026-01-22T12:00:00Z", data: { id: "x/1" } };
    const answer = await post(`${server.url}/webhooks`, signedDelivery(event, { id }));
    assert.deepEqual([answer.status, answer.json], [202, { status: "queued" }]);
    await eventually(() => stagesOf(stages, id).includes("handled"), 30_000, "the worker to complete it");
    const job = await workerQueue.queue().getJob(jobIdFor(id));
    await eventually(async () => (await job!.getState()) === "completed", 30_000, "completed");
  });

  test("failing listeners and non-Error throws never crash the worker; the next delivery is handled", async () => {
    const name = freshQueueName("listeners");
    const queue = bullmqQueue({ connection: REDIS_URL!, name, attempts: 1 });
    const webhooks = geminiWebhooks({ secret: SECRET, queue });
    const handled: string[] = [];
    webhooks.on("batch.succeeded", (event, ctx) => {
      if (event.data.id === "throw-a-string") throw "not an Error"; // eslint-disable-line no-throw-literal
      handled.push(ctx.webhookId);
    });
    webhooks.onLifecycle(() => {
      throw new Error("lifecycle listener bug");
    });
    webhooks.onError(async () => {
      throw new Error("error listener bug, async");
    });
    const worker = webhooks.work();
    cleanups.push(async () => {
      await worker.close();
      await queue.queue().obliterate({ force: true });
      await queue.close();
    });
    const server = await listen(express().use("/webhooks", webhooks));
    cleanups.push(() => server.close());
    const bad = freshId();
    const good = freshId();
    assert.equal(
      (await post(`${server.url}/webhooks`, signedDelivery(batchSucceeded("throw-a-string"), { id: bad }))).status,
      202,
    );
    assert.equal((await post(`${server.url}/webhooks`, signedDelivery(batchSucceeded(), { id: good }))).status, 202);
    await eventually(() => handled.includes(good), 30_000, "the next delivery");
    const [failed] = await eventually(
      async () => {
        const list = await queue.failed();
        return list.length > 0 ? list : undefined;
      },
      30_000,
      "the failed one",
    );
    assert.deepEqual([failed!.webhookId, failed!.failedReason], [bad, "not an Error"]);
  });

  test("webhooks.work() without a queue is a TypeError that says how to configure one", () => {
    const webhooks = geminiWebhooks({ secret: SECRET });
    assert.throws(
      () => webhooks.work(),
      (error: unknown) => error instanceof TypeError && /bullmqQueue\(\{ connection \}\)/.test(error.message),
    );
  });

  function assertQueueUnavailable(answer: Answer): void {
    assert.equal(answer.status, 503);
    assert.equal(answer.json.error, "queue_unavailable");
    assert.equal(answer.headers.get("retry-after"), "10");
    assert.doesNotMatch(JSON.stringify(answer.json), /Redis|timeout|ECONN|acknowledge/i, "no internals in the answer");
  }

  test("Redis hung (SIGSTOP): 503 queue_unavailable + Retry-After within enqueueTimeoutMs; after SIGCONT accepted again, nothing lost", async () => {
    const redis = await PrivateRedis.start();
    cleanups.push(() => redis.close());
    const app = await instance({ work: {}, queue: { connection: redis.url, enqueueTimeoutMs: 2_000 } });
    cleanups.push(async () => redis.resume()); // before the worker closes (it waits for its Redis), even if an assertion failed
    assert.equal((await post(app.url!, signedDelivery(batchSucceeded(), { id: freshId() }))).status, 202, "up");

    redis.stop();
    const id = freshId();
    const started = Date.now();
    const answer = await post(app.url!, signedDelivery(batchSucceeded(), { id }));
    const answeredIn = Date.now() - started;
    assertQueueUnavailable(answer);
    // Bounded by enqueueTimeoutMs, plus room for a loaded machine.
    assert.ok(answeredIn >= 1_900 && answeredIn < 10_000, `answered in ${answeredIn} ms`);
    const reported = app.errors.find((error: WebhookError) => error.webhookId === id);
    assert.equal(reported?.code, "queue_unavailable");
    assert.ok(reported?.cause instanceof QueueTimeoutError);

    redis.resume();
    // Gemini's retry: the same receiver, no restart. The job the stopped Redis applied late is found
    // (duplicate), or it is stored now (queued); either way the handler runs exactly once.
    const retry = await post(app.url!, signedDelivery(batchSucceeded(), { id }));
    assert.ok(
      retry.status === 202 || (retry.status === 200 && retry.json.status === "duplicate"),
      JSON.stringify(retry.json),
    );
    assert.equal(
      (await post(app.url!, signedDelivery(batchSucceeded(), { id: freshId() }))).status,
      202,
      "fresh deliveries too",
    );
    await eventually(() => app.runs.some((run) => run.webhookId === id && run.phase === "end"), 30_000, "the handler");
    await delay(200);
    assert.equal(app.runs.filter((run) => run.webhookId === id && run.phase === "start").length, 1);
  });

  test("Redis unreachable: 503 at once, the dedupe store still answers duplicates in front; back up → 202 without a restart", async () => {
    const proxy = await RedisProxy.start();
    cleanups.push(() => proxy.close());
    // A timeout far longer than the answer may take: "at once" is told apart from "after enqueueTimeoutMs".
    const app = await instance({ queue: { connection: proxy.url, enqueueTimeoutMs: 30_000 } });
    const handled = freshId();
    assert.equal((await post(app.url!, signedDelivery(batchSucceeded(), { id: handled }))).status, 202);

    proxy.setMode("down");
    const id = freshId();
    const started = Date.now();
    assertQueueUnavailable(await post(app.url!, signedDelivery(batchSucceeded(), { id })));
    assert.ok(Date.now() - started < 10_000, "fails fast: no command waits for a reconnect");
    const copy = await post(app.url!, signedDelivery(batchSucceeded(), { id: handled }));
    assert.deepEqual(
      [copy.status, copy.json],
      [200, { status: "duplicate" }],
      "the memory store answers without Redis",
    );

    proxy.setMode("up");
    const retried = await eventually(
      async () => {
        const answer = await post(app.url!, signedDelivery(batchSucceeded(), { id }));
        return answer.status === 503 ? undefined : answer;
      },
      30_000,
      "recovery",
    );
    assert.deepEqual([retried.status, retried.json], [202, { status: "queued" }]);
  });

  test("a worker whose Redis goes away reports queue_unavailable (once per outage), reconnects by itself and goes on", async () => {
    const proxy = await RedisProxy.start();
    cleanups.push(() => proxy.close());
    const app = await instance({ work: {}, queue: { connection: proxy.url } });
    cleanups.push(async () => proxy.setMode("up")); // before the worker closes (it waits for its Redis)
    const first = freshId();
    assert.equal((await post(app.url!, signedDelivery(batchSucceeded(), { id: first }))).status, 202);
    await eventually(
      () => app.runs.some((run) => run.webhookId === first && run.phase === "end"),
      30_000,
      "the first delivery",
    );

    proxy.setMode("down");
    try {
      const reported = await eventually(
        () => app.errors.find((error) => error.code === "queue_unavailable"),
        30_000,
        "the worker's report",
      );
      assert.match(reported.message, /in a queue worker/);
      await delay(1_500); // several reconnect attempts fail meanwhile
      const reports = app.errors.filter(
        (error) => error.code === "queue_unavailable" && /in a queue worker/.test(error.message),
      );
      assert.ok(
        reports.length <= 2,
        `${reports.length} reports for one outage: ${reports.map((error) => (error.cause as Error)?.message)}`,
      );
    } finally {
      proxy.setMode("up");
    }

    const second = freshId();
    const answer = await eventually(
      async () => {
        const attempt = await post(app.url!, signedDelivery(batchSucceeded(), { id: second }));
        return attempt.status === 503 ? undefined : attempt;
      },
      30_000,
      "the web side to recover",
    );
    assert.equal(answer.status, 202);
    await eventually(
      () => app.runs.some((run) => run.webhookId === second && run.phase === "end"),
      30_000,
      "the worker to go on",
    );
  });
});

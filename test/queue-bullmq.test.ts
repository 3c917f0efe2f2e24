// The BullMQ adapter on its own, against a real Redis: one job per webhook-id (also under concurrency and
// across adapter instances), job ids BullMQ would refuse, retries with backoff, the failed set and retry,
// and an enqueue that is bounded and recovers when Redis is unreachable, hung or stopped.
import assert from "node:assert/strict";
import { after, test } from "node:test";
import { Redis } from "ioredis";
import { bullmqQueue, jobIdFor, QueueTimeoutError, type BullmqDeliveryQueue } from "../src/bullmq.js";
import { webhookIdOf } from "../src/queue/job-id.js";
import type { AttemptInfo, QueuedDelivery } from "../src/queue/queue.js";
import { freshId } from "./support/helpers.js";
import { eventually, freshQueueName, PrivateRedis, queuedDelivery } from "./support/queue-helpers.js";
import { REDIS, REDIS_URL, RedisProxy } from "./support/redis-helpers.js";
import { describeNeeding } from "./support/services.js";

describeNeeding(REDIS, "bullmqQueue against a real Redis", () => {
  const opened: BullmqDeliveryQueue[] = [];
  const closers: (() => Promise<unknown>)[] = [];

  /** An adapter on a queue of its own; obliterated and closed after the suite. */
  function adapter(options: Partial<Parameters<typeof bullmqQueue>[0]> = {}): BullmqDeliveryQueue {
    const queue = bullmqQueue({ connection: REDIS_URL!, name: freshQueueName(), ...options });
    opened.push(queue);
    return queue;
  }

  after(async () => {
    for (const close of closers.reverse()) await close();
    for (const queue of opened) {
      await queue
        .queue()
        .obliterate({ force: true })
        .catch(() => {});
      await queue.close();
    }
  });

  test("enqueue stores one job per webhook-id; a second enqueue of the id is a duplicate and adds nothing", async () => {
    const queue = adapter();
    const delivery = queuedDelivery();
    assert.equal(await queue.enqueue(delivery), "queued");
    assert.equal(await queue.enqueue({ ...delivery, receivedAt: Date.now() + 1 }), "duplicate");
    const job = await queue.queue().getJob(jobIdFor(delivery.context.webhookId));
    assert.ok(job, "the job is in Redis once enqueue resolved");
    assert.deepEqual(job.data.event, delivery.event);
    assert.deepEqual(job.data.context, delivery.context);
    assert.equal(job.name, "batch.succeeded");
    const counts = await queue.queue().getJobCounts();
    assert.equal(
      Object.values(counts).reduce((a, b) => a + b, 0),
      1,
      JSON.stringify(counts),
    );
  });

  test("jobs keep completed deliveries ≥ 25 h and failed ones for days, with 8 exponential attempts by default", async () => {
    const queue = adapter();
    const delivery = queuedDelivery();
    await queue.enqueue(delivery);
    const job = (await queue.queue().getJob(jobIdFor(delivery.context.webhookId)))!;
    assert.equal(job.opts.attempts, 8);
    assert.deepEqual(job.opts.backoff, { type: "exponential", delay: 5000 });
    assert.deepEqual(job.opts.removeOnComplete, { age: 25 * 3600 });
    assert.deepEqual(job.opts.removeOnFail, { age: 14 * 24 * 3600 });
    assert.throws(() => bullmqQueue({ connection: REDIS_URL!, keepCompletedMs: 60_000 }), /keepCompletedMs.*25 h/);
  });

  test("500 concurrent enqueues of one delivery over two adapter instances: exactly one is queued", async () => {
    const name = freshQueueName("race");
    const first = adapter({ name });
    const second = adapter({ name });
    const delivery = queuedDelivery();
    const results = await Promise.all(
      Array.from({ length: 500 }, (_, i) => (i % 2 ? first : second).enqueue(delivery)),
    );
    assert.equal(results.filter((r) => r === "queued").length, 1);
    assert.equal(results.filter((r) => r === "duplicate").length, 499);
    const counts = await first.queue().getJobCounts();
    assert.equal(
      Object.values(counts).reduce((a, b) => a + b, 0),
      1,
    );
  });

  test("after SCRIPT FLUSH (the add refused as NOSCRIPT, resent after the read-back): still exactly one queued per id", async () => {
    const redis = await PrivateRedis.start();
    closers.push(() => redis.close());
    const flusher = new Redis(redis.url);
    closers.push(async () => flusher.disconnect());
    const name = freshQueueName("noscript");
    const first = bullmqQueue({ connection: redis.url, name });
    const second = bullmqQueue({ connection: redis.url, name });
    closers.push(
      () => first.close(),
      () => second.close(),
    );
    // Both connections have sent BullMQ's scripts once: from now on they send only their SHA.
    assert.equal(await first.enqueue(queuedDelivery()), "queued");
    assert.equal(await second.enqueue(queuedDelivery()), "queued");

    for (let round = 0; round < 5; round++) {
      await flusher.script("FLUSH");
      const delivery = queuedDelivery();
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) => (i % 2 ? first : second).enqueue(delivery)),
      );
      assert.equal(results.filter((r) => r === "queued").length, 1, `round ${round}: ${results.join(" ")}`);
      assert.ok(await first.queue().getJob(jobIdFor(delivery.context.webhookId)), "the job is stored");
      await flusher.script("FLUSH");
      assert.equal(await first.enqueue({ ...delivery, receivedAt: Date.now() + 1 }), "duplicate");
    }
  });

  test("a user's ioredis instance is used as it is: no option changed, its socket left uncorked, Queue events as with add()", async () => {
    const instance = new Redis(REDIS_URL!, { maxRetriesPerRequest: 0 });
    closers.push(async () => instance.disconnect());
    const options = JSON.stringify(instance.options);
    const queue = adapter({ connection: instance });
    const waiting: string[] = [];
    queue.queue().on("waiting", (job) => waiting.push(job.id!));
    const delivery = queuedDelivery();
    assert.equal(await queue.enqueue(delivery), "queued");
    assert.equal(await queue.enqueue(delivery), "duplicate");
    assert.equal(JSON.stringify(instance.options), options);
    assert.equal(instance.stream.writableCorked, 0);
    assert.deepEqual(waiting, [jobIdFor(delivery.context.webhookId), jobIdFor(delivery.context.webhookId)]);
    // The instance still works for its owner, and enqueue goes on after a command of theirs.
    assert.equal(await instance.ping(), "PONG");
    assert.equal(await queue.enqueue(queuedDelivery()), "queued");
  });

  test("webhook-ids BullMQ would refuse as job ids (integers, '0', ':') are encoded, distinct and reversible", async () => {
    const queue = adapter();
    const ids = ["123", "0", "a:b:c", "a%3Ab%3Ac", "0:1", "%", ":"];
    for (const id of ids) assert.equal(await queue.enqueue(queuedDelivery(id)), "queued", id);
    for (const id of ids) assert.equal(await queue.enqueue(queuedDelivery(id)), "duplicate", id);
    const jobIds = ids.map(jobIdFor);
    assert.equal(new Set(jobIds).size, ids.length);
    for (const [i, jobId] of jobIds.entries()) {
      assert.doesNotMatch(jobId, /:/);
      assert.equal(webhookIdOf(jobId), ids[i]);
      assert.equal((await queue.queue().getJob(jobId))?.data.context.webhookId, ids[i]);
    }
  });

  test("a worker runs each job with its delivery and attempt number; a failing attempt is retried after the backoff", async () => {
    const queue = adapter({ backoff: 200 });
    const seen: { delivery: QueuedDelivery; attempt: AttemptInfo; at: number }[] = [];
    const worker = queue.work(async (delivery, attempt) => {
      seen.push({ delivery, attempt, at: Date.now() });
      if (attempt.attempt < 3) throw new Error(`attempt ${attempt.attempt} fails`);
    });
    closers.push(() => worker.close());
    const delivery = queuedDelivery();
    await queue.enqueue(delivery);
    await eventually(() => seen.length === 3, 30_000, "three attempts");
    assert.deepEqual(
      seen.map((s) => s.attempt),
      [1, 2, 3].map((attempt) => ({ attempt, maxAttempts: 8 })),
    );
    assert.deepEqual(seen[0]!.delivery, delivery, "the handler gets the delivery as enqueued, nothing added");
    assert.ok(seen[1]!.at - seen[0]!.at >= 190, `backoff respected (${seen[1]!.at - seen[0]!.at} ms)`);
    const job = (await queue.queue().getJob(jobIdFor(delivery.context.webhookId)))!;
    await eventually(async () => (await job.getState()) === "completed", 30_000, "completed");
    await worker.close();
  });

  test("exhausted attempts leave the delivery in the failed set with its error; retry() runs it again", async () => {
    const queue = adapter({ attempts: 2, backoff: 10 });
    let fail = true;
    const runs: number[] = [];
    const worker = queue.work(async (_delivery, { attempt }) => {
      runs.push(attempt);
      if (fail) throw new Error("downstream is down");
    });
    closers.push(() => worker.close());
    const delivery = queuedDelivery();
    await queue.enqueue(delivery);
    const [failed] = await eventually(
      async () => {
        const list = await queue.failed();
        return list.length > 0 ? list : undefined;
      },
      30_000,
      "the failed set",
    );
    assert.deepEqual(runs, [1, 2]);
    assert.equal(failed!.webhookId, delivery.context.webhookId);
    assert.equal(failed!.type, "batch.succeeded");
    assert.equal(failed!.attemptsMade, 2);
    assert.equal(failed!.failedReason, "downstream is down");
    assert.equal(failed!.jobId, jobIdFor(delivery.context.webhookId));
    assert.equal(failed!.receivedAt, delivery.receivedAt);
    assert.equal(await queue.enqueue(delivery), "duplicate", "a copy of a failed delivery adds no job");

    fail = false;
    assert.equal(await queue.retry(delivery.context.webhookId), "retried");
    await eventually(() => runs.length === 3, 30_000, "the retried run");
    assert.equal(runs[2], 1, "a retried delivery gets all its attempts again");
    await eventually(async () => (await queue.failed()).length === 0, 30_000, "the failed set to empty");
    assert.equal(await queue.retry(delivery.context.webhookId), "not_failed");
    assert.equal(await queue.retry(freshId()), "not_found");
    await worker.close();
  });

  test("a job that is not a delivery fails at once, without retries, and the worker goes on", async () => {
    const queue = adapter();
    const runs: string[] = [];
    const worker = queue.work(async (delivery) => {
      runs.push(delivery.context.webhookId);
    });
    closers.push(() => worker.close());
    await queue.queue().add("foreign", { hello: "world" }, { jobId: "foreign-1" });
    await queue.enqueue(queuedDelivery("after-foreign"));
    await eventually(() => runs.includes("after-foreign"), 30_000, "the next delivery");
    const foreign = (await queue.queue().getJob("foreign-1"))!;
    await eventually(async () => (await foreign.getState()) === "failed", 30_000, "the foreign job to fail");
    assert.deepEqual(runs, ["after-foreign"]);
    await worker.close();
  });

  test("Redis unreachable or hung: enqueue rejects within enqueueTimeoutMs, then succeeds without a restart", async () => {
    const proxy = await RedisProxy.start();
    closers.push(() => proxy.close());
    // Long enough for the first enqueue (which opens the connection) on a loaded machine.
    const queue = adapter({ connection: proxy.url, enqueueTimeoutMs: 2_000 });
    assert.equal(await queue.enqueue(queuedDelivery()), "queued");

    for (const mode of ["down", "stall"] as const) {
      proxy.setMode(mode);
      const started = Date.now();
      const error = await queue.enqueue(queuedDelivery()).then(
        () => assert.fail("enqueue must not resolve while Redis is unavailable"),
        (caught: unknown) => caught,
      );
      const elapsed = Date.now() - started;
      assert.ok(
        elapsed < 10_000,
        `${mode}: rejected after ${elapsed} ms (bounded by enqueueTimeoutMs, plus room for load)`,
      );
      // Both fail fast here: the reconnecting client has no ready connection, and commands are not queued.
      assert.ok(error instanceof Error, String(error));

      proxy.setMode("up");
      const delivery = queuedDelivery();
      assert.equal(
        await eventually(() => queue.enqueue(delivery).catch(() => undefined), 30_000, `recovery after ${mode}`),
        "queued",
      );
    }
  });

  test("Redis stopped (SIGSTOP) mid-operation: enqueue rejects in time; after SIGCONT the same adapter stores jobs", async () => {
    const redis = await PrivateRedis.start();
    closers.push(() => redis.close());
    const queue = bullmqQueue({ connection: redis.url, name: freshQueueName("sigstop"), enqueueTimeoutMs: 2_000 });
    closers.push(() => queue.close());
    assert.equal(await queue.enqueue(queuedDelivery()), "queued");

    redis.stop();
    const stalled = queuedDelivery();
    const started = Date.now();
    await assert.rejects(queue.enqueue(stalled), QueueTimeoutError);
    assert.ok(Date.now() - started < 10_000, "bounded by enqueueTimeoutMs, plus room for load");

    redis.resume();
    // The add sent while Redis was stopped is applied when it resumes: the job exists, so the sender's
    // retry of that delivery (after its 503) is a duplicate — stored once, never lost, never twice.
    assert.equal(await queue.enqueue(stalled), "duplicate");
    assert.equal(await queue.enqueue(queuedDelivery()), "queued");
  });

  test("options are checked: unknown names and bad values are TypeErrors naming them", () => {
    assert.throws(() => bullmqQueue({ connection: REDIS_URL!, atempts: 3 } as never), /unknown option "atempts"/);
    assert.throws(() => bullmqQueue({} as never), /"connection" is required/);
    assert.throws(() => bullmqQueue({ connection: REDIS_URL!, attempts: 0 }), /"attempts"/);
    assert.throws(() => bullmqQueue({ connection: REDIS_URL!, name: "a:b" }), /"name"/);
    assert.throws(() => bullmqQueue({ connection: REDIS_URL!, enqueueTimeoutMs: -1 }), /"enqueueTimeoutMs"/);
    assert.throws(() => bullmqQueue({ connection: { keyPrefix: "x:" } }), /keyPrefix/);
    assert.throws(() => bullmqQueue({ connection: REDIS_URL!, backoff: "fast" as never }), /"backoff"/);
  });
});

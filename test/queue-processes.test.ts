// The queue deployed as in production: two receivers and two workers, each in its own process, on one
// Redis. Copies of a delivery spread over both receivers make one job; the handler runs once, in one of
// the workers; a slow handler does not slow the answer; a worker killed mid-handler loses nothing.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { bullmqQueue, jobIdFor } from "../src/bullmq.js";
import { batchSucceeded, freshId, inBatches, post, signedDelivery, tally } from "./support/helpers.js";
import { eventually, freshQueueName } from "./support/queue-helpers.js";
import { startQueueInstance, type QueueInstance } from "./support/queue-instance.js";
import { ChildInstances, type ChildInstance } from "./support/queue-processes.js";
import { REDIS, REDIS_URL } from "./support/redis-helpers.js";
import { describeNeeding } from "./support/services.js";

describeNeeding(REDIS, "two receivers and two workers in separate processes", () => {
  const name = freshQueueName("procs");
  // The SIGKILL scenario has a queue of its own, so the two workers above never take its job.
  const killName = freshQueueName("sigkill");
  // Short lock and stall check, so the test sees BullMQ's stall detection in about a second.
  const stallFast = { lockDuration: 1_000, stalledInterval: 500 };
  const children = new ChildInstances();
  let urls: string[];
  let doomed: ChildInstance;
  let local: QueueInstance; // receiver-1, in this process
  let survivor: QueueInstance; // the kill queue's receiver and, once started, its second worker

  let slow: { id: string; started: number } | undefined;

  before(async () => {
    const queue = { connection: REDIS_URL!, name };
    const killQueue = { connection: REDIS_URL!, name: killName };
    // Every process is forked at once: a fork costs seconds on a busy machine.
    let remote: ChildInstance;
    [local, remote, , doomed, survivor] = await Promise.all([
      startQueueInstance({ name: "receiver-1", queue, receive: true }),
      children.start({ name: "receiver-2", queue, receive: true }),
      Promise.all(
        ["worker-1", "worker-2"].map((instance) => children.start({ name: instance, queue, work: { concurrency: 2 } })),
      ),
      children.start({ name: "doomed", queue: killQueue, work: stallFast, hang: true }),
      startQueueInstance({ name: "survivor", queue: killQueue, receive: true, work: stallFast, deferWork: true }),
    ]);
    urls = [local.url!, remote.url!];
  });

  after(async () => {
    await Promise.all([local.close(), survivor.close(), children.stopAll()]);
    for (const queueName of [name, killName]) {
      const queue = bullmqQueue({ connection: REDIS_URL!, name: queueName });
      await queue.queue().obliterate({ force: true });
      await queue.close();
    }
  });

  test("a 10 s handler: the delivery is answered 202 long before it ends (its end is checked last)", async () => {
    // The first delivery a receiver enqueues also opens its Redis connection: warm both up first.
    for (const url of urls) assert.equal((await post(url, signedDelivery(batchSucceeded("plain")))).status, 202);
    const id = freshId();
    const started = Date.now();
    const answer = await post(urls[0]!, signedDelivery(batchSucceeded("sleep:10000"), { id }));
    const answeredIn = Date.now() - started;
    assert.deepEqual([answer.status, answer.json], [202, { status: "queued" }]);
    assert.ok(answeredIn < 5_000, `answered in ${answeredIn} ms, not after the 10 s handler`);
    // Gemini's retry while the handler still runs, on the other receiver: acknowledged, nothing added.
    const retry = await post(urls[1]!, signedDelivery(batchSucceeded("sleep:10000"), { id }));
    assert.deepEqual([retry.status, retry.json], [200, { status: "duplicate" }]);
    slow = { id, started };
  });

  test("500 concurrent copies of one delivery over both receivers: one 202, one job, the handler runs once", async () => {
    const id = freshId();
    const delivery = signedDelivery(batchSucceeded("plain"), { id });
    const answers = await inBatches(500, 50, (i) => post(urls[i % 2]!, delivery));
    const outcomes = tally(answers);
    assert.equal(outcomes["202 queued"], 1, JSON.stringify(outcomes));
    assert.equal(
      (outcomes["200 duplicate"] ?? 0) + (outcomes["409 delivery_in_progress"] ?? 0),
      499,
      JSON.stringify(outcomes),
    );

    await eventually(() => children.runsOf(id).length === 1, 30_000, "the handler run");
    const probe = bullmqQueue({ connection: REDIS_URL!, name });
    try {
      const job = await probe.queue().getJob(jobIdFor(id));
      assert.equal(job?.data.context.webhookId, id, "one job, under the delivery's id");
    } finally {
      await probe.close();
    }
    assert.equal(children.runsOf(id, "start").length, 1, "started once, across both workers");
  });

  test("deliveries spread over both receivers are each handled once, by both workers", async () => {
    const ids = Array.from({ length: 10 }, () => freshId());
    const answers = await Promise.all(
      ids.map((id, i) => post(urls[i % 2]!, signedDelivery(batchSucceeded("sleep:100"), { id }))),
    );
    assert.deepEqual(new Set(answers.map((a) => `${a.status} ${a.json.status}`)), new Set(["202 queued"]));
    await eventually(() => ids.every((id) => children.runsOf(id).length === 1), 30_000, "every delivery handled");
    assert.ok(
      ids.every((id) => children.runsOf(id, "start").length === 1),
      "no delivery ran twice",
    );
    const handledBy = new Set(ids.map((id) => children.runsOf(id)[0]!.instance));
    assert.deepEqual([...handledBy].sort(), ["worker-1", "worker-2"]);
  });

  test("a worker killed mid-handler (SIGKILL): another worker runs the delivery after stall detection", async () => {
    const id = freshId();
    const answer = await post(survivor.url!, signedDelivery(batchSucceeded("hang-here"), { id }));
    assert.equal(answer.status, 202);
    await eventually(() => children.runsOf(id, "start").length === 1, 30_000, "the doomed worker to start the handler");
    await doomed.kill();

    const killedAt = Date.now();
    survivor.startWork();
    const end = await eventually(
      () => survivor.runs.find((run) => run.webhookId === id && run.phase === "end"),
      30_000,
      "the survivor to run it",
    );
    // docs/long-running-work.md ("How a killed worker's job is re-run"): the lock outlives the kill by at least
    // lockDuration / 2 (it is renewed every lockDuration / 2), and the job is moved back at the latest two stall
    // checks after the lock expired: lockDuration + 2 × stalledInterval. The margin is for a loaded machine (the
    // survivor's pick-up and handler), not for BullMQ.
    const { lockDuration, stalledInterval } = stallFast;
    const rerunAfter = end.at - killedAt;
    assert.ok(rerunAfter >= lockDuration / 2, `re-run ${rerunAfter} ms after the kill: before the lock could expire`);
    const loadMargin = 10_000;
    assert.ok(
      rerunAfter <= lockDuration + 2 * stalledInterval + loadMargin,
      `re-run ${rerunAfter} ms after the kill: later than lockDuration + 2 × stalledInterval (+ margin)`,
    );
    assert.equal(end.attempt, 1, "a stalled run is not a failed attempt");
    assert.deepEqual(
      [
        ...children.runsOf(id, "start"),
        ...survivor.runs.filter((run) => run.webhookId === id && run.phase === "start"),
      ].map((run) => run.instance),
      ["doomed", "survivor"],
      "at-least-once: the killed attempt, then the complete one",
    );
    const job = await survivor.queue.queue().getJob(jobIdFor(id));
    await eventually(async () => (await job!.getState()) === "completed", 30_000, "the job to complete");
  });

  test("the 10 s handler ran once, to the end", async () => {
    assert.ok(slow, "the first test queued it");
    const [end] = await eventually(
      () => (children.runsOf(slow!.id).length > 0 ? children.runsOf(slow!.id) : undefined),
      30_000,
      "its end",
    );
    assert.ok(end!.at - slow!.started >= 10_000);
    assert.equal(children.runsOf(slow!.id, "start").length, 1);
  });
});

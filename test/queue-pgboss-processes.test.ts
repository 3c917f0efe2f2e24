// The pg-boss queue deployed as in production: two receivers and two workers, each in its own process, on
// one PostgreSQL. Copies of a delivery spread over both receivers make one job; the handler runs once, in
// one of the workers; a slow handler does not slow the answer; a worker killed mid-handler loses nothing.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { pgBossJobIdFor, pgBossQueue } from "../src/pg-boss.js";
import { batchSucceeded, freshId, inBatches, post, signedDelivery, tally } from "./support/helpers.js";
import { startPgBossInstance, type PgBossInstance } from "./support/pgboss-instance.js";
import { ChildInstances, type ChildInstance } from "./support/pgboss-processes.js";
import { DATABASE_URL, freshName, POSTGRES } from "./support/postgres-helpers.js";
import { eventually } from "./support/queue-helpers.js";
import { describeNeeding } from "./support/services.js";

describeNeeding(POSTGRES, "pg-boss: two receivers and two workers in separate processes", () => {
  const name = freshName("procs");
  // The SIGKILL scenario has a queue of its own, so the two workers above never take its job.
  const killName = freshName("sigkill");
  // A short expiry and maintenance interval, so pg-boss finds the killed attempt in seconds.
  const expireFast = { expireInSeconds: 2, maintenanceIntervalSeconds: 1, backoff: 1_000 };
  const fastPolling = { pollingIntervalSeconds: 0.5 };
  const children = new ChildInstances();
  let urls: string[];
  let doomed: ChildInstance;
  let local: PgBossInstance; // receiver-1, in this process
  let survivor: PgBossInstance; // the kill queue's receiver and, once started, its second worker
  let slow: { id: string; started: number } | undefined;

  before(async () => {
    const queue = { connectionString: DATABASE_URL!, name };
    const killQueue = { connectionString: DATABASE_URL!, name: killName, ...expireFast };
    let remote: ChildInstance;
    [local, remote, , doomed, survivor] = await Promise.all([
      startPgBossInstance({ name: "receiver-1", queue, receive: true }),
      children.start({ name: "receiver-2", queue, receive: true }),
      Promise.all(
        ["worker-1", "worker-2"].map((instance) =>
          children.start({ name: instance, queue, work: { concurrency: 2, ...fastPolling } }),
        ),
      ),
      children.start({ name: "doomed", queue: killQueue, work: fastPolling, hang: true }),
      startPgBossInstance({
        name: "survivor",
        queue: killQueue,
        receive: true,
        work: fastPolling,
        deferWork: true,
      }),
    ]);
    urls = [local.url!, remote.url!];
  });

  after(async () => {
    await Promise.all([local.close(), survivor.close(), children.stopAll()]);
  });

  test("a 10 s handler: the delivery is answered 202 long before it ends (its end is checked last)", async () => {
    // The first delivery a receiver enqueues also starts its PgBoss: warm both up first.
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
    const job = await (await local.queue.boss()).getJobById(name, pgBossJobIdFor(name, id));
    assert.equal((job?.data as { context?: { webhookId?: string } })?.context?.webhookId, id);
    assert.equal(children.runsOf(id, "start").length, 1, "started once, across both workers");
  });

  test("deliveries spread over both receivers are each handled once, by both workers", async () => {
    const ids = Array.from({ length: 10 }, () => freshId());
    const answers = await Promise.all(
      ids.map((id, i) => post(urls[i % 2]!, signedDelivery(batchSucceeded("sleep:300"), { id }))),
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

  test("a worker killed mid-handler (SIGKILL): another worker runs the delivery after pg-boss's expiry", async () => {
    const id = freshId();
    const answer = await post(survivor.url!, signedDelivery(batchSucceeded("hang-here"), { id }));
    assert.equal(answer.status, 202);
    await eventually(() => children.runsOf(id, "start").length === 1, 30_000, "the doomed worker to start it");
    await doomed.kill();

    survivor.startWork();
    const end = await eventually(
      () => survivor.runs.find((run) => run.webhookId === id && run.phase === "end"),
      30_000,
      "the survivor to run it",
    );
    assert.equal(end.attempt, 2, "pg-boss counts an expired attempt as a failed one");
    assert.deepEqual(
      [
        ...children.runsOf(id, "start"),
        ...survivor.runs.filter((run) => run.webhookId === id && run.phase === "start"),
      ].map((run) => run.instance),
      ["doomed", "survivor"],
      "at-least-once: the killed attempt, then the complete one",
    );
    const probe = pgBossQueue({ connectionString: DATABASE_URL!, name: killName });
    try {
      const boss = await probe.boss();
      await eventually(
        async () => (await boss.getJobById(killName, pgBossJobIdFor(killName, id)))?.state === "completed",
        30_000,
        "the job to complete",
      );
    } finally {
      await probe.close();
    }
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

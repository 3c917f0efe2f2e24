// The receiver with the pg-boss queue, against a real PostgreSQL: 202 only once Postgres committed the job,
// duplicates (one job per webhook-id, also under 500 concurrent copies over two receivers), retries with
// backoff and ctx.attempt, failed() / retry(), and 503 queue_unavailable when Postgres is unreachable or
// hung (SIGSTOP of a cluster of the test's own), accepted again when it is back, without a restart.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { createServer, connect, type Server, type Socket } from "node:net";
import { after, test } from "node:test";
import { pgBossJobIdFor, pgBossQueue, type PgBossQueueOptions } from "../src/pg-boss.js";
import { batchSucceeded, freshId, inBatches, post, signedDelivery, tally, type Answer } from "./support/helpers.js";
import { startPgBossInstance, type PgBossInstance, type PgBossInstanceOptions } from "./support/pgboss-instance.js";
import { DATABASE_URL, freshName, POSTGRES } from "./support/postgres-helpers.js";
import { eventually, freePort } from "./support/queue-helpers.js";
import { describeNeeding } from "./support/services.js";

interface Cluster {
  url: string;
  pid: number;
  port: number;
  stop(): Promise<void>;
}

/** A throwaway cluster of the test's own (scripts/services/postgres.mjs), so it can be SIGSTOPped alone. */
async function privateCluster(): Promise<Cluster> {
  const script = "../scripts/services/postgres.mjs";
  const { startPostgres } = (await import(script)) as { startPostgres(): Promise<Cluster> };
  return startPostgres();
}

/** The postmaster and every backend it forked: what a hung server is made of. */
function serverProcesses(cluster: Cluster): number[] {
  const children = execFileSync("pgrep", ["-P", String(cluster.pid)])
    .toString()
    .trim()
    .split("\n");
  return [cluster.pid, ...children.filter(Boolean).map(Number)];
}

/** A TCP forwarder to Postgres that can refuse connections (a server that is down) and come back. */
async function switchableProxy(target: number): Promise<{ url: string; down(): void; up(): void; close(): void }> {
  const port = await freePort();
  const sockets = new Set<Socket>();
  let server: Server | undefined;
  const up = () => {
    server = createServer((client) => {
      const upstream = connect(target, "127.0.0.1");
      for (const socket of [client, upstream]) {
        sockets.add(socket);
        socket.on("error", () => socket.destroy());
        socket.on("close", () => sockets.delete(socket));
      }
      client.pipe(upstream).pipe(client);
    }).listen(port, "127.0.0.1");
  };
  const down = () => {
    server?.close();
    server = undefined;
    for (const socket of sockets) socket.destroy();
  };
  up();
  return { url: `postgres://postgres@127.0.0.1:${port}/postgres`, down, up, close: down };
}

describeNeeding(POSTGRES, "the receiver with a pg-boss queue", () => {
  const cleanups: (() => Promise<unknown>)[] = [];
  after(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {});
  });

  /** Fast polling and a one-second backoff, so retries are seen in seconds. */
  const fast: Partial<PgBossQueueOptions> = { backoff: { type: "fixed", delay: 1_000 } };

  async function instance(
    options: Omit<Partial<PgBossInstanceOptions>, "queue"> & { queue?: Partial<PgBossQueueOptions> } = {},
  ): Promise<PgBossInstance> {
    const queue = { connectionString: DATABASE_URL!, name: freshName("q"), ...fast, ...options.queue };
    const started = await startPgBossInstance({ name: "test", receive: true, ...options, queue });
    cleanups.push(() => started.close());
    return started;
  }

  /** A second adapter on the same queue, as another process would have: reads through its own pool. */
  async function reader(name: string) {
    const other = pgBossQueue({ connectionString: DATABASE_URL!, name });
    cleanups.push(() => other.close());
    return other;
  }

  const stagesOf = (receiver: PgBossInstance, id: string) =>
    receiver.stages.filter((e) => e.webhookId === id && e.attempt === undefined).map((e) => e.stage);
  const endsOf = (receiver: PgBossInstance, id: string) =>
    receiver.runs.filter((run) => run.webhookId === id && run.phase === "end");

  test("a verified delivery is answered 202 queued once its job is committed; the lifecycle says queued", async () => {
    const receiver = await instance();
    const id = freshId();
    const answer = await post(receiver.url!, signedDelivery(batchSucceeded(), { id }));
    assert.deepEqual([answer.status, answer.json], [202, { status: "queued" }]);
    const boss = await (await reader(receiver.queue.name)).boss();
    const job = await boss.getJobById<{ context: { webhookId: string }; event: { type: string } }>(
      receiver.queue.name,
      pgBossJobIdFor(receiver.queue.name, id),
    );
    assert.equal(job?.data.context.webhookId, id);
    assert.equal(job?.data.event.type, "batch.succeeded");
    assert.equal(job?.retryLimit, 7, "attempts default to 8");
    assert.deepEqual(stagesOf(receiver, id), ["verified", "queued"]);
    assert.equal(receiver.runs.length, 0, "no handler runs in a web process without a worker");
  });

  test("a duplicate adds no job: 200 duplicate from the queue itself, queued or handled; the handler runs once", async () => {
    const receiver = await instance({ dedupe: false, work: { pollingIntervalSeconds: 0.5 } });
    const id = freshId();
    const first = await post(receiver.url!, signedDelivery(batchSucceeded(), { id }));
    const copy = await post(receiver.url!, signedDelivery(batchSucceeded(), { id }));
    assert.deepEqual([first.status, copy.status, copy.json], [202, 200, { status: "duplicate" }]);
    await eventually(() => endsOf(receiver, id).length === 1, 30_000, "the handler");
    const late = await post(receiver.url!, signedDelivery(batchSucceeded(), { id }));
    assert.deepEqual(
      [late.status, late.json],
      [200, { status: "duplicate" }],
      "a handled delivery's job is remembered",
    );
    const boss = await receiver.queue.boss();
    const job = await boss.getJobById(receiver.queue.name, pgBossJobIdFor(receiver.queue.name, id));
    assert.equal(job?.state, "completed");
    assert.equal(receiver.runs.filter((run) => run.webhookId === id && run.phase === "start").length, 1);
  });

  test("500 concurrent copies over two receivers (two pools): one 202, one job, one handler run", async () => {
    const name = freshName("storm");
    const one = await instance({ dedupe: false, queue: { name } });
    const two = await instance({ dedupe: false, queue: { name }, work: { pollingIntervalSeconds: 0.5 } });
    // The first enqueue of each receiver starts its PgBoss: warm both.
    for (const receiver of [one, two])
      assert.equal((await post(receiver.url!, signedDelivery(batchSucceeded(), { id: freshId() }))).status, 202);
    const id = freshId();
    const answers: Answer[] = await inBatches(500, 50, (index) =>
      post([one, two][index % 2]!.url!, signedDelivery(batchSucceeded(), { id })),
    );
    assert.deepEqual(tally(answers), { "202 queued": 1, "200 duplicate": 499 });
    await eventually(() => endsOf(two, id).length === 1, 30_000, "the handler");
    const boss = await two.queue.boss();
    assert.equal((await boss.getJobById(name, pgBossJobIdFor(name, id)))?.state, "completed");
    assert.equal(two.runs.filter((run) => run.webhookId === id && run.phase === "start").length, 1);
  });

  test("a throwing handler is retried with backoff; ctx.attempt and ctx.maxAttempts are set", async () => {
    const receiver = await instance({ queue: { attempts: 3 }, work: { pollingIntervalSeconds: 0.5 } });
    const id = freshId();
    assert.equal((await post(receiver.url!, signedDelivery(batchSucceeded("fail-until:3"), { id }))).status, 202);
    await eventually(() => endsOf(receiver, id).length === 1, 30_000, "the third attempt");
    const starts = receiver.runs.filter((run) => run.webhookId === id && run.phase === "start");
    assert.deepEqual(
      starts.map((run) => [run.attempt, run.maxAttempts]),
      [
        [1, 3],
        [2, 3],
        [3, 3],
      ],
    );
    for (let i = 1; i < starts.length; i++)
      assert.ok(starts[i]!.at - starts[i - 1]!.at >= 900, "attempts are spaced by the backoff (1 s)");
    const workerStages = receiver.stages
      .filter((e) => e.webhookId === id && e.attempt !== undefined)
      .map((e) => `${e.stage} ${e.attempt}`);
    assert.ok(workerStages.includes("handled 3"), `worker stages: ${workerStages.join(", ")}`);
  });

  test("exhausted attempts: the delivery is listed by failed() and retry() runs it again", async () => {
    const receiver = await instance({ queue: { attempts: 2 }, work: { pollingIntervalSeconds: 0.5 } });
    const id = freshId();
    const handled = freshId();
    assert.equal((await post(receiver.url!, signedDelivery(batchSucceeded("fail-always"), { id }))).status, 202);
    assert.equal((await post(receiver.url!, signedDelivery(batchSucceeded(), { id: handled }))).status, 202);
    const listed = await eventually(
      async () => (await receiver.queue.failed()).find((failed) => failed.webhookId === id),
      30_000,
      "the failed listing",
    );
    assert.equal(listed.type, "batch.succeeded");
    assert.equal(listed.attemptsMade, 2);
    assert.equal(listed.failedReason, "always failing");
    assert.equal(listed.jobId, pgBossJobIdFor(receiver.queue.name, id));
    assert.ok(typeof listed.failedAt === "number" && typeof listed.receivedAt === "number");
    // Listing puts the copies back: a second listing (from another process) sees the same.
    const again = await (await reader(receiver.queue.name)).failed();
    assert.deepEqual(
      again.map((failed) => failed.webhookId),
      [id],
    );
    await eventually(() => endsOf(receiver, handled).length === 1, 30_000, "the handled delivery");
    assert.equal(await receiver.queue.retry(handled), "not_failed");
    assert.equal(await receiver.queue.retry(freshId()), "not_found");

    const startsBefore = receiver.runs.filter((run) => run.webhookId === id && run.phase === "start").length;
    assert.equal(await receiver.queue.retry(id), "retried");
    await eventually(
      () => receiver.runs.filter((run) => run.webhookId === id && run.phase === "start").length > startsBefore,
      30_000,
      "the retried delivery to run",
    );
    // Fails again (one more attempt, pg-boss's retry), and is listed once, not twice.
    const relisted = await eventually(
      async () => {
        const failed = (await receiver.queue.failed()).filter((delivery) => delivery.webhookId === id);
        return failed.length === 1 && failed[0]!.attemptsMade === 3 ? failed : undefined;
      },
      30_000,
      "the failed listing after the retry",
    );
    assert.equal(relisted.length, 1);
  });

  test("Postgres hung (SIGSTOP): 503 queue_unavailable + Retry-After within enqueueTimeoutMs; after SIGCONT accepted again", async () => {
    const cluster = await privateCluster();
    cleanups.push(() => cluster.stop());
    // Long enough for the first delivery to start pg-boss in a fresh cluster on a loaded machine.
    const receiver = await instance({ queue: { connectionString: cluster.url, enqueueTimeoutMs: 3_000 } });
    assert.equal((await post(receiver.url!, signedDelivery(batchSucceeded(), { id: freshId() }))).status, 202);

    const stopped = serverProcesses(cluster);
    for (const pid of stopped) process.kill(pid, "SIGSTOP");
    const id = freshId();
    let answer: Answer;
    const started = Date.now();
    try {
      answer = await post(receiver.url!, signedDelivery(batchSucceeded(), { id }));
    } finally {
      for (const pid of stopped) process.kill(pid, "SIGCONT");
    }
    const answeredIn = Date.now() - started;
    assert.deepEqual([answer.status, answer.json.error], [503, "queue_unavailable"]);
    assert.ok(answer.headers.get("retry-after"), "Retry-After is set");
    assert.ok(answeredIn < 10_000, `answered in ${answeredIn} ms with enqueueTimeoutMs 3000 (plus room for load)`);
    assert.ok(
      receiver.errors.some((error) => error.code === "queue_unavailable"),
      "onError was told",
    );

    // Gemini retries the delivery: accepted (or, if the hung INSERT committed after all, found as a duplicate).
    const retried = await eventually(
      async () => {
        const attempt = await post(receiver.url!, signedDelivery(batchSucceeded(), { id }));
        return attempt.status === 503 ? undefined : attempt;
      },
      30_000,
      "recovery",
    );
    assert.ok(retried.status === 202 || retried.status === 200, `answered ${retried.status}`);
    const job = await (
      await receiver.queue.boss()
    ).getJobById(receiver.queue.name, pgBossJobIdFor(receiver.queue.name, id));
    assert.ok(job, "the delivery has its job: nothing lost");
  });

  test("Postgres unreachable: 503 queue_unavailable at once, no PgBoss left half-started; back → 202 without a restart", async () => {
    const port = Number(new URL(DATABASE_URL!).port);
    const proxy = await switchableProxy(port);
    cleanups.push(async () => proxy.close());
    proxy.down();
    // A timeout far longer than the answer may take: "at once" is told apart from "after enqueueTimeoutMs".
    const receiver = await instance({ queue: { connectionString: proxy.url, enqueueTimeoutMs: 30_000 } });
    const id = freshId();
    const started = Date.now();
    const refused = await post(receiver.url!, signedDelivery(batchSucceeded(), { id }));
    assert.deepEqual([refused.status, refused.json.error], [503, "queue_unavailable"]);
    assert.equal(refused.headers.get("retry-after"), "10");
    assert.ok(Date.now() - started < 10_000, "refused without waiting out enqueueTimeoutMs");
    assert.doesNotMatch(JSON.stringify(refused.json), /127\.0\.0\.1|postgres:\/\//, "the answer names no server");

    proxy.up();
    const retried = await eventually(
      async () => {
        const attempt = await post(receiver.url!, signedDelivery(batchSucceeded(), { id }));
        return attempt.status === 503 ? undefined : attempt;
      },
      30_000,
      "recovery",
    );
    assert.deepEqual([retried.status, retried.json], [202, { status: "queued" }]);
  });
});

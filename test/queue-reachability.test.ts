// The web process's Redis going away and coming back, with a real redis-server stopped and started (issue 25
// #3): a delivery answered 503 is never stored behind the answer's back; the 503 comes at once once Redis is
// known to be down (not after enqueueTimeoutMs); onError names the address; one line per change is logged.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, test } from "node:test";
import { Queue } from "bullmq";
import { bullmqQueue, jobIdFor, QueueUnreachableError, type QueueConnectionReport } from "../src/bullmq.js";
import { batchSucceeded, freshId, post, signedDelivery } from "./support/helpers.js";
import { eventually, freePort, freshQueueName, PrivateRedis } from "./support/queue-helpers.js";
import { startInstanceOn } from "./support/queue-instance.js";
import { REDIS } from "./support/redis-helpers.js";
import { describeNeeding } from "./support/services.js";

// Far longer than any answer below may take: a 503 that waited it out would fail the timing checks.
const ENQUEUE_TIMEOUT_MS = 60_000;

describeNeeding(REDIS, "the web process's Redis stopped and started", () => {
  const cleanups: (() => Promise<unknown>)[] = [];
  after(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {});
  });

  async function receiverOn(port: number) {
    const reports: QueueConnectionReport[] = [];
    const name = freshQueueName();
    const prefix = `gwx-${randomBytes(4).toString("hex")}`;
    const queue = bullmqQueue({
      connection: `redis://127.0.0.1:${port}`,
      name,
      prefix,
      enqueueTimeoutMs: ENQUEUE_TIMEOUT_MS,
      onConnectionChange: (report) => reports.push(report),
    });
    const app = await startInstanceOn(queue, { name: "web", receive: true });
    cleanups.push(() => app.close());
    /** Whether a job for `webhookId` is in Redis, asked through a connection of the test's own. */
    const stored = async (webhookId: string) => {
      const inspector = new Queue(name, { connection: { host: "127.0.0.1", port }, prefix });
      try {
        return (await inspector.getJob(jobIdFor(webhookId))) !== undefined;
      } finally {
        await inspector.close();
      }
    };
    return { app, reports, stored };
  }

  test("Redis down when the web process starts: 503 at once naming the address, logged once; once Redis is up nothing was stored and the retry is queued", async () => {
    const port = await freePort();
    const { app, reports, stored } = await receiverOn(port);
    const first = freshId();

    const started = Date.now();
    const answer = await post(app.url!, signedDelivery(batchSucceeded(), { id: first }));
    assert.equal(answer.status, 503);
    assert.equal(answer.json.error, "queue_unavailable");
    assert.doesNotMatch(JSON.stringify(answer.json), /127\.0\.0\.1|Redis|ECONN/, "the answer holds no internals");
    assert.ok(Date.now() - started < ENQUEUE_TIMEOUT_MS / 2, "answered without waiting out enqueueTimeoutMs");
    const reported = app.errors.find((error) => error.webhookId === first);
    assert.equal(reported?.code, "queue_unavailable");
    assert.match(reported!.message, new RegExp(`Redis at 127\\.0\\.0\\.1:${port} is not reachable`));
    assert.ok(reported!.cause instanceof QueueUnreachableError);

    const second = await post(app.url!, signedDelivery(batchSucceeded(), { id: freshId() }));
    assert.equal(second.status, 503, "still down");
    await eventually(() => reports.length > 0, 30_000, "the first connection report");
    assert.deepEqual(
      reports.map((report) => report.reachable),
      [false],
      "one line while it stays down",
    );
    assert.match(reports[0]!.message, new RegExp(`127\\.0\\.0\\.1:${port} is not reachable`));
    assert.equal(reports[0]!.address, `127.0.0.1:${port}`);

    const redis = await PrivateRedis.start(port);
    cleanups.push(() => redis.close());
    await eventually(() => reports.some((report) => report.reachable), 30_000, "the reconnect report");
    assert.match(reports.at(-1)!.message, /is reachable again/);

    // A delivery queued now goes through the same connection as any add left waiting would have.
    assert.equal((await post(app.url!, signedDelivery(batchSucceeded(), { id: freshId() }))).status, 202);
    assert.equal(await stored(first), false, "the delivery answered 503 was not stored afterwards");
    const retry = await post(app.url!, signedDelivery(batchSucceeded(), { id: first }));
    assert.equal(retry.status, 202, `Gemini's retry is queued, not a duplicate: ${JSON.stringify(retry.json)}`);
    assert.equal(await stored(first), true);
  });

  test("Redis killed while running, then started again: one report each way, 503 at once meanwhile, 202 after without a restart", async () => {
    const port = await freePort();
    let redis = await PrivateRedis.start(port);
    cleanups.push(() => redis.close());
    const { app, reports } = await receiverOn(port);

    assert.equal((await post(app.url!, signedDelivery(batchSucceeded(), { id: freshId() }))).status, 202);
    assert.deepEqual(
      reports.map((report) => [report.reachable, report.message.includes("again")]),
      [[true, false]],
      "one start-up line: reachable",
    );

    await redis.close();
    await eventually(() => reports.some((report) => !report.reachable), 30_000, "the outage report");
    const id = freshId();
    const started = Date.now();
    const answer = await post(app.url!, signedDelivery(batchSucceeded(), { id }));
    assert.equal(answer.status, 503);
    assert.ok(Date.now() - started < ENQUEUE_TIMEOUT_MS / 2, "answered without waiting out enqueueTimeoutMs");
    assert.match(app.errors.find((error) => error.webhookId === id)!.message, new RegExp(`127\\.0\\.0\\.1:${port}`));

    redis = await PrivateRedis.start(port);
    await eventually(() => reports.filter((report) => report.reachable).length === 2, 30_000, "the back-up report");
    assert.deepEqual(
      reports.map((report) => report.reachable),
      [true, false, true],
    );
    assert.equal((await post(app.url!, signedDelivery(batchSucceeded(), { id }))).status, 202, "the retry is queued");
  });

  test("a listener that throws changes nothing", async () => {
    const port = await freePort();
    const redis = await PrivateRedis.start(port);
    cleanups.push(() => redis.close());
    const queue = bullmqQueue({
      connection: `redis://127.0.0.1:${port}`,
      name: freshQueueName(),
      onConnectionChange: () => {
        throw new Error("a logger that fails");
      },
    });
    const app = await startInstanceOn(queue, { name: "web", receive: true });
    cleanups.push(() => app.close());
    assert.equal((await post(app.url!, signedDelivery(batchSucceeded(), { id: freshId() }))).status, 202);
  });
});

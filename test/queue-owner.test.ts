// Issue 25 #1 and #2, against a real Redis: a worker runs only jobs its own receiver queued, with the event its
// receiver verified. Two apps on one queue name do not run each other's deliveries; a job's data rewritten in Redis
// cannot change what a handler receives.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, test } from "node:test";
import { geminiWebhooks, type GeminiWebhooks } from "../src/index.js";
import type { WebhookError } from "../src/errors.js";
import { bullmqQueue, jobIdFor, type BullmqDeliveryQueue } from "../src/bullmq.js";
import { batchSucceeded, freshId, OTHER_SECRET, SECRET, signedDelivery, type Delivery } from "./support/helpers.js";
import { eventually, freshQueueName } from "./support/queue-helpers.js";
import { ioredisClient, REDIS, REDIS_URL } from "./support/redis-helpers.js";
import { describeNeeding } from "./support/services.js";

// Generous: CI runs this on a loaded 2-core machine.
const WAIT_MS = 30_000;

describeNeeding(REDIS, "queued jobs carry their receiver's owner tag", () => {
  const cleanups: (() => Promise<unknown>)[] = [];
  after(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  });

  /** One app: a receiver on its own secret, with a BullMQ queue on the given name and prefix. */
  function app(secret: string, name: string, prefix: string) {
    const queue = bullmqQueue({ connection: REDIS_URL!, name, prefix, attempts: 3, backoff: 10 });
    const webhooks = geminiWebhooks({ secret, queue });
    const handled: { id: string; uri: string | undefined }[] = [];
    const errors: WebhookError[] = [];
    webhooks.on(
      "batch.succeeded",
      (event) => void handled.push({ id: event.data.id, uri: event.data.output_file_uri }),
    );
    webhooks.onError((error) => void errors.push(error));
    cleanups.push(async () => {
      await queue.queue().obliterate({ force: true });
      await queue.close();
    });
    return { queue, webhooks, handled, errors };
  }

  function startWorker(webhooks: GeminiWebhooks<unknown, BullmqDeliveryQueue>) {
    const worker = webhooks.work();
    cleanups.push(() => worker.close());
    return worker;
  }

  async function send(webhooks: GeminiWebhooks, delivery: Delivery): Promise<number> {
    const request = new Request("http://localhost/hook", {
      method: "POST",
      headers: delivery.headers,
      body: delivery.body,
    });
    return (await webhooks.fetch(request)).status;
  }

  test("two apps on one queue name: A's worker refuses B's delivery, reports job_refused and runs no handler", async () => {
    const name = freshQueueName("owner");
    const prefix = `gwx-${randomBytes(4).toString("hex")}`;
    const a = app(SECRET, name, prefix);
    const b = app(OTHER_SECRET, name, prefix);
    startWorker(a.webhooks as GeminiWebhooks<unknown, BullmqDeliveryQueue>);

    const forB = signedDelivery(batchSucceeded("batches/for-b"), { secret: OTHER_SECRET });
    assert.equal(await send(a.webhooks as GeminiWebhooks, forB), 401, "A refuses B's signature");
    assert.equal(await send(b.webhooks as GeminiWebhooks, forB), 202, "B queues it");
    const webhookId = forB.headers["webhook-id"]!;

    const refused = await eventually(
      () => a.errors.find((error) => error.code === "job_refused"),
      WAIT_MS,
      "A's job_refused report",
    );
    assert.equal(refused.webhookId, webhookId);
    assert.match(refused.message, /own queue name/);
    const job = await eventually(
      async () => {
        const found = await a.queue.queue().getJob(jobIdFor(webhookId));
        return found && (await found.getState()) === "failed" ? found : undefined;
      },
      WAIT_MS,
      "the refused job in the failed set",
    );
    assert.equal(job.attemptsMade, 1, "refused at once, not retried");
    assert.deepEqual(a.handled, [], "A's handler never ran on B's delivery");

    // A's own deliveries still run on the shared queue.
    const forA = signedDelivery(batchSucceeded("batches/for-a"));
    assert.equal(await send(a.webhooks as GeminiWebhooks, forA), 202);
    await eventually(() => a.handled.length === 1, WAIT_MS, "A's own delivery handled");
    assert.deepEqual(
      a.handled.map(({ id }) => id),
      ["batches/for-a"],
    );
  });

  test("a job's event rewritten in Redis (HSET): the handler gets the event of the verified bytes", async () => {
    const name = freshQueueName("hset");
    const prefix = `gwx-${randomBytes(4).toString("hex")}`;
    const a = app(SECRET, name, prefix);
    const delivery = signedDelivery(batchSucceeded("batches/hset"), { id: freshId() });
    assert.equal(await send(a.webhooks as GeminiWebhooks, delivery), 202);
    const jobKey = `${prefix}:${name}:${jobIdFor(delivery.headers["webhook-id"]!)}`;

    const redis = ioredisClient();
    cleanups.push(async () => redis.quit());
    const data = JSON.parse((await redis.hget(jobKey, "data"))!);
    data.event.data.output_file_uri = "gs://attacker-bucket/elsewhere.jsonl";
    await redis.hset(jobKey, "data", JSON.stringify(data));

    startWorker(a.webhooks as GeminiWebhooks<unknown, BullmqDeliveryQueue>);
    await eventually(() => a.handled.length === 1, WAIT_MS, "the delivery handled");
    assert.deepEqual(a.handled, [{ id: "batches/hset", uri: "gs://my-bucket/results.jsonl" }]);
    assert.deepEqual(a.errors, []);
  });

  test("a job's verified bytes rewritten in Redis (HSET): refused as job_refused, no handler runs", async () => {
    const name = freshQueueName("hset-body");
    const prefix = `gwx-${randomBytes(4).toString("hex")}`;
    const a = app(SECRET, name, prefix);
    const delivery = signedDelivery(batchSucceeded("batches/hset-body"), { id: freshId() });
    assert.equal(await send(a.webhooks as GeminiWebhooks, delivery), 202);
    const jobKey = `${prefix}:${name}:${jobIdFor(delivery.headers["webhook-id"]!)}`;

    const redis = ioredisClient();
    cleanups.push(async () => redis.quit());
    const data = JSON.parse((await redis.hget(jobKey, "data"))!);
    const altered = JSON.parse(delivery.body);
    altered.data.output_file_uri = "gs://attacker-bucket/elsewhere.jsonl";
    data.rawBody = Buffer.from(JSON.stringify(altered)).toString("base64");
    data.event = altered;
    await redis.hset(jobKey, "data", JSON.stringify(data));

    startWorker(a.webhooks as GeminiWebhooks<unknown, BullmqDeliveryQueue>);
    const refused = await eventually(
      () => a.errors.find((error) => error.code === "job_refused"),
      WAIT_MS,
      "the job_refused report",
    );
    assert.equal(refused.webhookId, delivery.headers["webhook-id"]);
    assert.deepEqual(a.handled, []);
  });
});

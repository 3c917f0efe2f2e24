// Issue 25 #1 on pg-boss, against a real PostgreSQL: a worker runs only jobs its own receiver queued. Two apps with
// different secrets on one pg-boss queue name, only A's worker running: B's delivery runs none of A's handlers and
// reaches A's onError as job_refused. pg-boss 10 has no public way to fail an active job for good (its `fail`
// schedules the next attempt while attempts remain; `cancel` would hide the delivery from `failed()`), so the
// refusal uses the job's attempts, each refused, and the job then stays failed, listed by `failed()` with the
// refusal as its reason (docs/long-running-work.md).
import assert from "node:assert/strict";
import { after, test } from "node:test";
import type { WebhookError } from "../src/errors.js";
import { geminiWebhooks, type GeminiWebhooks } from "../src/index.js";
import { pgBossJobIdFor, pgBossQueue, type PgBossDeliveryQueue } from "../src/pg-boss.js";
import { batchSucceeded, OTHER_SECRET, SECRET, signedDelivery, type Delivery } from "./support/helpers.js";
import { DATABASE_URL, freshName, POSTGRES } from "./support/postgres-helpers.js";
import { eventually } from "./support/queue-helpers.js";
import { describeNeeding } from "./support/services.js";

// Generous: CI runs this on a loaded 2-core machine.
const WAIT_MS = 60_000;
const ATTEMPTS = 2;

describeNeeding(POSTGRES, "pg-boss jobs carry their receiver's owner tag", () => {
  const cleanups: (() => Promise<unknown>)[] = [];
  after(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {});
  });

  /** One app: a receiver on its own secret, with a pg-boss queue on the given name (retries one second apart). */
  function app(secret: string, name: string) {
    const queue = pgBossQueue({
      connectionString: DATABASE_URL!,
      name,
      attempts: ATTEMPTS,
      backoff: { type: "fixed", delay: 1_000 },
    });
    const webhooks = geminiWebhooks({ secret, queue });
    const handled: string[] = [];
    const errors: WebhookError[] = [];
    webhooks.on("batch.succeeded", (event) => void handled.push(event.data.id));
    webhooks.onError((error) => void errors.push(error));
    cleanups.push(() => queue.close());
    return { queue, webhooks, handled, errors };
  }

  async function send(webhooks: GeminiWebhooks<unknown, PgBossDeliveryQueue>, delivery: Delivery): Promise<number> {
    const request = new Request("http://localhost/hook", {
      method: "POST",
      headers: delivery.headers,
      body: delivery.body,
    });
    return (await webhooks.fetch(request)).status;
  }

  test("two apps on one queue name: A's worker refuses B's delivery on each attempt, runs no handler, leaves it failed and listed", async () => {
    const name = freshName("owner");
    const a = app(SECRET, name);
    const b = app(OTHER_SECRET, name);
    const worker = a.webhooks.work({ pollingIntervalSeconds: 0.5 });
    cleanups.push(() => worker.close());

    const forB = signedDelivery(batchSucceeded("batches/for-b"), { secret: OTHER_SECRET });
    assert.equal(await send(a.webhooks, forB), 401, "A refuses B's signature");
    assert.equal(await send(b.webhooks, forB), 202, "B queues it");
    const webhookId = forB.headers["webhook-id"]!;

    const boss = await a.queue.boss();
    const job = await eventually(
      async () => {
        const found = await boss.getJobById(name, pgBossJobIdFor(name, webhookId));
        return found?.state === "failed" ? found : undefined;
      },
      WAIT_MS,
      "B's job failed",
    );
    assert.equal(job.retryCount + 1, ATTEMPTS, "every attempt was made (and refused)");

    const refusals = a.errors.filter((error) => error.code === "job_refused");
    assert.equal(refusals.length, ATTEMPTS, "job_refused reported once per attempt");
    for (const refusal of refusals) {
      assert.equal(refusal.webhookId, webhookId);
      assert.match(refusal.message, /own queue name/);
    }
    assert.deepEqual(
      a.errors.filter((error) => error.code !== "job_refused").map((error) => error.code),
      ["invalid_signature"],
      "besides the refusals, only A's receiver's 401 (no handler_failed: no handler ran)",
    );
    assert.deepEqual(a.handled, [], "A's handler never ran on B's delivery");

    // Left where its owner (and the CLI) can see it.
    const failed = await eventually(
      async () => (await a.queue.failed()).find((delivery) => delivery.webhookId === webhookId),
      WAIT_MS,
      "B's delivery listed by failed()",
    );
    assert.equal(failed.attemptsMade, ATTEMPTS);
    assert.match(failed.failedReason, /job refused: its owner tag matches none of this receiver's secrets/);

    // A's own deliveries still run on the shared queue.
    const forA = signedDelivery(batchSucceeded("batches/for-a"));
    assert.equal(await send(a.webhooks, forA), 202);
    await eventually(() => a.handled.length === 1, WAIT_MS, "A's own delivery handled");
    assert.deepEqual(a.handled, ["batches/for-a"]);
  });
});

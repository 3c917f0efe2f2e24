// Issue 25 #13: onError's message on a queue worker's attempts says what will happen, and never contradicts itself
// ("will be retried" on the last attempt). Engine-neutral: a queue that hands the processor to the test.
import assert from "node:assert/strict";
import { test } from "node:test";
import { geminiWebhooks } from "../src/index.js";
import type { WebhookError } from "../src/errors.js";
import type { DeliveryQueue, ProcessDelivery, QueuedDelivery } from "../src/queue/queue.js";
import { batchSucceeded, SECRET, signedDelivery } from "./support/helpers.js";

function inMemoryQueue() {
  const stored: QueuedDelivery[] = [];
  let processor: ProcessDelivery | undefined;
  const queue: DeliveryQueue = {
    async enqueue(delivery) {
      stored.push(JSON.parse(JSON.stringify(delivery)));
      return "queued";
    },
    work(process) {
      processor = process;
      return { close: async () => {} };
    },
  };
  return { queue, stored, processor: () => processor! };
}

test("the failed attempts' onError messages: 'will be retried' before the last, never on the last", async () => {
  const { queue, stored, processor } = inMemoryQueue();
  const webhooks = geminiWebhooks({ secret: SECRET, queue });
  const errors: WebhookError[] = [];
  webhooks.onError((error) => void errors.push(error));
  webhooks.on("batch.succeeded", () => {
    throw new Error("billing API answered 502");
  });
  const delivery = signedDelivery(batchSucceeded("batches/messages"));
  const answer = await webhooks.fetch(
    new Request("http://localhost/hook", { method: "POST", headers: delivery.headers, body: delivery.body }),
  );
  assert.equal(answer.status, 202);
  webhooks.work();

  await assert.rejects(processor()(stored[0]!, { attempt: 1, maxAttempts: 2 }), /billing API/);
  await assert.rejects(processor()(stored[0]!, { attempt: 2, maxAttempts: 2 }), /billing API/);
  assert.deepEqual(
    errors.map((error) => error.code),
    ["handler_failed", "handler_failed"],
  );
  assert.match(errors[0]!.message, /attempt 1 of 2, will be retried/);
  assert.match(errors[1]!.message, /attempt 2 of 2, the last: left in the failed set/);
  assert.doesNotMatch(errors[1]!.message, /will be retried/);
});

// OpenTelemetry across the BullMQ queue, against a real Redis and the real SDK: the web process's receive span
// puts its traceparent in the job; each worker attempt is a gemini.webhooks.process span linked to it, with the
// attempt number; a failed attempt is an error with the exception; the handler's spans are the attempt's children.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, test } from "node:test";
import * as api from "@opentelemetry/api";
import express from "express";
import { bullmqQueue } from "../src/bullmq.js";
import { geminiWebhooks } from "../src/index.js";
import { batchSucceeded, listen, post, SECRET, signedDelivery } from "./support/helpers.js";
import { installOtelSdk } from "./support/otel-sdk.js";
import { eventually, freshQueueName } from "./support/queue-helpers.js";
import { REDIS, REDIS_URL } from "./support/redis-helpers.js";
import { describeNeeding } from "./support/services.js";

const sdk = installOtelSdk();
const userTracer = api.trace.getTracer("user-app");

describeNeeding(REDIS, "telemetry with the BullMQ queue", () => {
  const cleanups: (() => Promise<unknown>)[] = [];
  after(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  });

  test("a queued delivery retried once: two process spans, attempts 1 and 2, both linked to the receive span", async () => {
    const queue = bullmqQueue({
      connection: REDIS_URL!,
      name: freshQueueName("otel"),
      prefix: `gwx-${randomBytes(4).toString("hex")}`,
      attempts: 2,
      backoff: 10,
    });
    const webhooks = geminiWebhooks({ secret: SECRET, queue });
    webhooks.onError(() => {});
    webhooks.on("batch.succeeded", async (_event, ctx) => {
      if (ctx.attempt === 1) throw new Error("database down");
      await userTracer.startActiveSpan("db.write", async (span) => span.end());
    });
    const app = express();
    app.use("/webhooks", webhooks);
    const server = await listen(app);
    const worker = webhooks.work();
    cleanups.push(async () => {
      await worker.close();
      await server.close();
      await queue
        .queue()
        .obliterate({ force: true })
        .catch(() => {});
      await queue.close();
    });

    const delivery = signedDelivery(batchSucceeded("batches/queued"));
    const id = delivery.headers["webhook-id"];
    assert.equal((await post(`${server.url}/webhooks`, delivery)).status, 202);
    const attempts = await eventually(
      () => {
        const spans = sdk.spans().filter((span) => span.name === "gemini.webhooks.process");
        return spans.length === 2 && spans;
      },
      30_000,
      "two process spans",
    );
    const receive = sdk.spans().find((span) => span.name === "gemini.webhooks.receive")!;
    assert.equal(receive.attributes["gemini.webhooks.outcome"], "queued");
    assert.equal(receive.attributes["messaging.operation.type"], "receive");

    const [first, second] = [...attempts].sort(
      (a, b) =>
        (a.attributes["gemini.webhooks.attempt"] as number) - (b.attributes["gemini.webhooks.attempt"] as number),
    );
    for (const span of [first!, second!]) {
      assert.equal(span.kind, api.SpanKind.CONSUMER);
      assert.deepEqual(
        span.links.map((link) => [link.context.traceId, link.context.spanId]),
        [[receive.spanContext().traceId, receive.spanContext().spanId]],
      );
      assert.equal(span.attributes["messaging.message.id"], id);
    }
    assert.deepEqual(first!.attributes, {
      "messaging.system.name": "gemini",
      "messaging.operation.name": "process",
      "messaging.operation.type": "process",
      "messaging.message.id": id,
      "gemini.webhooks.event_type": "batch.succeeded",
      "gemini.webhooks.scheme": "v1",
      "gemini.webhooks.secret_index": 0,
      "gemini.webhooks.attempt": 1,
      "gemini.webhooks.outcome": "retrying",
      "error.type": "handler_failed",
    });
    assert.equal(first!.status.code, api.SpanStatusCode.ERROR);
    assert.equal(
      first!.events.find((event) => event.name === "exception")?.attributes?.["exception.message"],
      "database down",
    );
    assert.equal(second!.attributes["gemini.webhooks.attempt"], 2);
    assert.equal(second!.attributes["gemini.webhooks.outcome"], "handled");
    assert.equal(second!.status.code, api.SpanStatusCode.UNSET);
    const write = sdk.spans().find((span) => span.name === "db.write")!;
    assert.equal(write.parentSpanContext?.spanId, second!.spanContext().spanId);
  });
});

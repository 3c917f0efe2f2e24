// OpenTelemetry across the pg-boss queue, against a real PostgreSQL and the real SDK: the same spans and metrics
// as through BullMQ (test/telemetry-queue.test.ts). The web process's receive span puts its traceparent in the
// job; each worker attempt is a gemini.webhooks.process span linked to it, with the attempt number; a failed
// attempt is an error with the exception; the handler's spans are the attempt's children; the receiver records
// one delivery (outcome "queued") and its duration, the workers no metric. With Redis too, one delivery through
// each engine gives the same trace and metrics, ids aside.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, test } from "node:test";
import * as api from "@opentelemetry/api";
import type { ReadableSpan } from "@opentelemetry/sdk-trace-base";
import express from "express";
import { bullmqQueue } from "../src/bullmq.js";
import { geminiWebhooks } from "../src/index.js";
import { pgBossQueue } from "../src/pg-boss.js";
import type { AnyDeliveryQueue } from "../src/queue/queue.js";
import { batchSucceeded, listen, post, SECRET, signedDelivery } from "./support/helpers.js";
import { installOtelSdk, type MetricPoint } from "./support/otel-sdk.js";
import { DATABASE_URL, freshName, POSTGRES } from "./support/postgres-helpers.js";
import { eventually, freshQueueName } from "./support/queue-helpers.js";
import { REDIS, REDIS_URL } from "./support/redis-helpers.js";
import { describeNeeding, type Service } from "./support/services.js";

const sdk = installOtelSdk();
const userTracer = api.trace.getTracer("user-app");

/** What one delivery left in the SDK, with its ids replaced by the roles they play, so two engines compare. */
interface Trace {
  receive: Shape;
  attempts: Shape[];
  /** Which span the handler's own span is a child of. */
  handlerSpanParent: string;
  metrics: Omit<MetricPoint, "sum">[];
}

interface Shape {
  name: string;
  kind: api.SpanKind;
  attributes: Record<string, unknown>;
  status: api.SpanStatusCode;
  parent: string;
  links: string[];
  exception?: unknown;
}

/**
 * Posts one delivery to a receiver on `queue` whose handler throws at attempt 1 and succeeds at attempt 2 (with a
 * span of its own), and waits for both attempts' spans. `workOptions`: the engine's worker options.
 * `workerAfterDelivery`: the worker starts only once the delivery was answered, so the delivery (inside its
 * receive span) is what opens the queue's connection.
 */
async function traceOneDelivery(
  queue: AnyDeliveryQueue,
  workOptions: object,
  cleanUp: () => Promise<unknown>,
  workerAfterDelivery = false,
): Promise<Trace> {
  const webhooks = geminiWebhooks({ secret: SECRET, queue });
  webhooks.onError(() => {});
  webhooks.on("batch.succeeded", async (_event, ctx) => {
    if (ctx.attempt === 1) throw new Error("database down");
    await userTracer.startActiveSpan("db.write", async (span) => span.end());
  });
  const server = await listen(express().use("/webhooks", webhooks));
  let worker = workerAfterDelivery ? undefined : webhooks.work(workOptions);
  try {
    await sdk.points(); // what earlier tests recorded is not this delivery's
    const delivery = signedDelivery(batchSucceeded("batches/queued"));
    const id = delivery.headers["webhook-id"];
    assert.equal((await post(`${server.url}/webhooks`, delivery)).status, 202);
    worker ??= webhooks.work(workOptions);
    const ofThisDelivery = (span: ReadableSpan) => span.attributes["messaging.message.id"] === id;
    const attempts = await eventually(
      () => {
        const spans = sdk.spans().filter((span) => span.name === "gemini.webhooks.process" && ofThisDelivery(span));
        // The handler's span ends inside the second attempt's: wait for the attempt, then it is there.
        return spans.length === 2 && spans;
      },
      30_000,
      "two process spans",
    );
    attempts.sort(
      (a, b) =>
        (a.attributes["gemini.webhooks.attempt"] as number) - (b.attributes["gemini.webhooks.attempt"] as number),
    );
    const receive = sdk.spans().find((span) => span.name === "gemini.webhooks.receive" && ofThisDelivery(span))!;
    assert.ok(receive, "a receive span for the delivery");
    const roles = new Map<string, string>([[receive.spanContext().spanId, "receive"]]);
    attempts.forEach((span, i) => roles.set(span.spanContext().spanId, `attempt ${i + 1}`));
    const role = (spanId: string | undefined) =>
      spanId === undefined ? "none" : (roles.get(spanId) ?? "another span");
    const shape = (span: ReadableSpan): Shape => ({
      name: span.name,
      kind: span.kind,
      attributes: { ...span.attributes, "messaging.message.id": span.attributes["messaging.message.id"] === id },
      status: span.status.code,
      parent: role(span.parentSpanContext?.spanId),
      links: span.links.map((link) =>
        link.context.traceId === receive.spanContext().traceId ? role(link.context.spanId) : "another trace",
      ),
      exception: span.events.find((event) => event.name === "exception")?.attributes?.["exception.message"],
    });
    const attemptIds = new Set(attempts.map((span) => span.spanContext().spanId));
    const handlerSpan = sdk
      .spans()
      .find((span) => span.name === "db.write" && attemptIds.has(span.parentSpanContext?.spanId ?? ""));
    const metrics = (await sdk.points())
      .filter((point) => point.name.startsWith("gemini.webhooks."))
      .map(({ sum: _sum, ...point }) => point)
      .sort((a, b) => a.name.localeCompare(b.name));
    return {
      receive: shape(receive),
      attempts: attempts.map(shape),
      handlerSpanParent: role(handlerSpan?.parentSpanContext?.spanId),
      metrics,
    };
  } finally {
    await worker?.close();
    await server.close();
    await cleanUp();
  }
}

function onPgBoss(workerAfterDelivery = false): Promise<Trace> {
  const queue = pgBossQueue({
    connectionString: DATABASE_URL!,
    name: freshName("otel"),
    attempts: 2,
    backoff: { type: "fixed", delay: 1_000 },
  });
  return traceOneDelivery(queue, { pollingIntervalSeconds: 0.5 }, () => queue.close(), workerAfterDelivery);
}

function onBullmq(): Promise<Trace> {
  const queue = bullmqQueue({
    connection: REDIS_URL!,
    name: freshQueueName("otel"),
    prefix: `gwx-${randomBytes(4).toString("hex")}`,
    attempts: 2,
    backoff: 10,
  });
  return traceOneDelivery(queue, {}, async () => {
    await queue
      .queue()
      .obliterate({ force: true })
      .catch(() => {});
    await queue.close();
  });
}

describeNeeding(POSTGRES, "telemetry with the pg-boss queue", () => {
  after(() => sdk.reset());
  let expected: Trace | undefined;

  test("a delivery retried once: the receive span, two linked process spans, the handler's span, the metrics", async () => {
    const trace = await onPgBoss();
    const common = {
      "messaging.system.name": "gemini",
      "messaging.message.id": true,
      "gemini.webhooks.event_type": "batch.succeeded",
      "gemini.webhooks.scheme": "v1",
      "gemini.webhooks.secret_index": 0,
    };
    assert.deepEqual(trace.receive, {
      name: "gemini.webhooks.receive",
      kind: api.SpanKind.CONSUMER,
      attributes: {
        ...common,
        "messaging.operation.name": "receive",
        "messaging.operation.type": "receive",
        "http.response.status_code": 202,
        "gemini.webhooks.outcome": "queued",
      },
      status: api.SpanStatusCode.UNSET,
      parent: "none",
      links: [],
      exception: undefined,
    });
    const attempt = {
      name: "gemini.webhooks.process",
      kind: api.SpanKind.CONSUMER,
      parent: "none",
      links: ["receive"],
    };
    const processAttributes = {
      ...common,
      "messaging.operation.name": "process",
      "messaging.operation.type": "process",
    };
    assert.deepEqual(trace.attempts, [
      {
        ...attempt,
        attributes: {
          ...processAttributes,
          "gemini.webhooks.attempt": 1,
          "gemini.webhooks.outcome": "retrying",
          "error.type": "handler_failed",
        },
        status: api.SpanStatusCode.ERROR,
        exception: "database down",
      },
      {
        ...attempt,
        attributes: { ...processAttributes, "gemini.webhooks.attempt": 2, "gemini.webhooks.outcome": "handled" },
        status: api.SpanStatusCode.UNSET,
        exception: undefined,
      },
    ]);
    assert.equal(trace.handlerSpanParent, "attempt 2");
    expected = trace;
    // The receiver counts the delivery once, as queued; a worker's attempts add no delivery.
    assert.deepEqual(trace.metrics, [
      {
        name: "gemini.webhooks.deliveries",
        unit: "{delivery}",
        attributes: { "gemini.webhooks.outcome": "queued" },
        value: 1,
      },
      { name: "gemini.webhooks.duration", unit: "s", attributes: { "gemini.webhooks.outcome": "queued" }, count: 1 },
    ]);
  });

  // The adapter's PgBoss starts at the first enqueue, inside that delivery's receive span: its polling and its
  // connections must not carry that span into the worker's attempts.
  test("a worker started after the first delivery: its attempts are not children of that delivery's span", async () => {
    assert.ok(expected, "the test above ran");
    assert.deepEqual(await onPgBoss(true), expected);
  });
});

const REDIS_AND_POSTGRES: Service = {
  name: "Redis and PostgreSQL",
  missing: REDIS.missing || POSTGRES.missing,
};

describeNeeding(REDIS_AND_POSTGRES, "telemetry: pg-boss and BullMQ side by side", () => {
  after(() => sdk.reset());

  test("one delivery through each engine leaves the same spans, links, parents and metrics", async () => {
    const throughBullmq = await onBullmq();
    const throughPgBoss = await onPgBoss();
    assert.equal(throughBullmq.attempts.length, 2);
    assert.deepEqual(throughPgBoss, throughBullmq);
  });
});

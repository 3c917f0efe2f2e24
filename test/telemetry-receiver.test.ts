// OpenTelemetry through the real receiver: Express on loopback, the real SDK (in-memory exporter, on-demand
// metric reader), deliveries signed with node:crypto. Each outcome produces exactly the documented span and points.
import assert from "node:assert/strict";
import { setTimeout as sleep } from "node:timers/promises";
import { after, afterEach, before, describe, it } from "node:test";
import * as api from "@opentelemetry/api";
import express from "express";
import type { ReadableSpan } from "@opentelemetry/sdk-trace-base";
import { geminiWebhooks, memoryStore, type DedupeStore } from "../src/index.js";
import type { DeliveryQueue, QueuedDelivery } from "../src/queue/queue.js";
import { createOtelTelemetry } from "../src/telemetry/otel.js";
import {
  OTHER_SECRET,
  SECRET,
  batchSucceeded,
  listen,
  post,
  signedDelivery,
  type RunningServer,
} from "./support/helpers.js";
import { installOtelSdk, type MetricPoint } from "./support/otel-sdk.js";

const sdk = installOtelSdk();
const userTracer = api.trace.getTracer("user-app");

/** The ended receive spans, once `count` of them are there: the span ends as the answer is sent. */
async function receiveSpans(count: number): Promise<ReadableSpan[]> {
  for (let waited = 0; ; waited += 10) {
    const spans = sdk.spans().filter((span) => span.name === "gemini.webhooks.receive");
    if (spans.length >= count || waited > 2000) return spans;
    await sleep(10);
  }
}

/** Metric points as `name {attributes}` → value (a counter's value, a histogram's count). */
function summarize(points: MetricPoint[]): Record<string, number> {
  return Object.fromEntries(
    points.map((point) => [
      `${point.name} ${JSON.stringify(point.attributes)}`,
      point.value ?? point.count ?? Number.NaN,
    ]),
  );
}

const RECEIVE_BASE = {
  "messaging.system.name": "gemini",
  "messaging.operation.name": "receive",
  "messaging.operation.type": "process",
};

describe("telemetry through the receiver", () => {
  let server: RunningServer;
  let handled = 0;
  // For the in-progress test: the handler of "batches/slow" says it started, then waits for the gate.
  let slowStarted: () => void = () => {};
  let slowGate: Promise<void> = Promise.resolve();

  before(async () => {
    const app = express();
    const webhooks = geminiWebhooks({ secret: [OTHER_SECRET, SECRET] });
    webhooks.on("batch.succeeded", async (event) => {
      await sleep(1);
      // The user's own span, e.g. a database write: a child of the receive span.
      await userTracer.startActiveSpan("db.insert", async (span) => {
        await sleep(1);
        span.end();
      });
      const { id } = event.data as { id: string };
      if (id === "batches/slow") {
        slowStarted();
        await slowGate;
      }
      if (id === "batches/fail") throw new Error("database down");
      handled++;
    });
    webhooks.onError(() => {});
    app.use("/webhooks", webhooks);
    server = await listen(app);
  });
  after(() => server.close());
  afterEach(() => sdk.reset());
  const url = () => `${server.url}/webhooks`;

  it("a handled delivery: one receive span, the handler's span its child, one handled point of each metric", async () => {
    const delivery = signedDelivery(batchSucceeded("batches/ok"));
    assert.equal((await post(url(), delivery)).status, 200);
    const [span, ...others] = await receiveSpans(1);
    assert.equal(others.length, 0);
    assert.equal(span!.kind, api.SpanKind.CONSUMER);
    assert.deepEqual(span!.attributes, {
      ...RECEIVE_BASE,
      "messaging.message.id": delivery.headers["webhook-id"],
      "http.response.status_code": 200,
      "gemini.webhooks.outcome": "handled",
      "gemini.webhooks.event_type": "batch.succeeded",
      "gemini.webhooks.scheme": "v1",
      "gemini.webhooks.secret_index": 1,
    });
    assert.equal(span!.status.code, api.SpanStatusCode.UNSET);
    const child = sdk.spans().find((candidate) => candidate.name === "db.insert")!;
    assert.equal(child.parentSpanContext?.spanId, span!.spanContext().spanId);
    assert.equal(child.spanContext().traceId, span!.spanContext().traceId);
    assert.deepEqual(summarize(await sdk.points()), {
      'gemini.webhooks.deliveries {"gemini.webhooks.outcome":"handled"}': 1,
      'gemini.webhooks.duration {"gemini.webhooks.outcome":"handled"}': 1,
    });
  });

  it("a forged delivery: 401, a rejected span with error.type, no handler span, rejected points", async () => {
    const delivery = signedDelivery(batchSucceeded("batches/forged"), {
      secret: "whsec_" + Buffer.alloc(24, 7).toString("base64"),
    });
    assert.equal((await post(url(), delivery)).status, 401);
    const [span, ...others] = await receiveSpans(1);
    assert.equal(others.length, 0);
    assert.deepEqual(span!.attributes, {
      ...RECEIVE_BASE,
      // The id the request claimed (its header is well-formed); the signature is what failed.
      "messaging.message.id": delivery.headers["webhook-id"],
      "http.response.status_code": 401,
      "gemini.webhooks.outcome": "rejected",
      "error.type": "invalid_signature",
    });
    assert.equal(span!.status.code, api.SpanStatusCode.UNSET);
    assert.equal(sdk.spans().filter((candidate) => candidate.name === "db.insert").length, 0);
    assert.deepEqual(summarize(await sdk.points()), {
      'gemini.webhooks.deliveries {"gemini.webhooks.outcome":"rejected","error.type":"invalid_signature"}': 1,
      'gemini.webhooks.duration {"gemini.webhooks.outcome":"rejected","error.type":"invalid_signature"}': 1,
    });
  });

  it("a duplicate: the second span says duplicate (no event type: a duplicate's body is not parsed), the handler ran once", async () => {
    const delivery = signedDelivery(batchSucceeded("batches/dup"));
    const before = handled;
    assert.equal((await post(url(), delivery)).status, 200);
    assert.equal((await post(url(), delivery)).status, 200);
    assert.equal(handled, before + 1);
    const [first, second, ...others] = await receiveSpans(2);
    assert.equal(others.length, 0);
    assert.equal(first!.attributes["gemini.webhooks.outcome"], "handled");
    assert.deepEqual(second!.attributes, {
      ...RECEIVE_BASE,
      "messaging.message.id": delivery.headers["webhook-id"],
      "http.response.status_code": 200,
      "gemini.webhooks.outcome": "duplicate",
      "gemini.webhooks.scheme": "v1",
      "gemini.webhooks.secret_index": 1,
    });
    assert.deepEqual(summarize(await sdk.points()), {
      'gemini.webhooks.deliveries {"gemini.webhooks.outcome":"handled"}': 1,
      'gemini.webhooks.duration {"gemini.webhooks.outcome":"handled"}': 1,
      'gemini.webhooks.deliveries {"gemini.webhooks.outcome":"duplicate"}': 1,
      'gemini.webhooks.duration {"gemini.webhooks.outcome":"duplicate"}': 1,
    });
  });

  it("a failed delivery: 500, the span's status is ERROR, failed points with error.type handler_failed", async () => {
    const delivery = signedDelivery(batchSucceeded("batches/fail"));
    assert.equal((await post(url(), delivery)).status, 500);
    const [span, ...others] = await receiveSpans(1);
    assert.equal(others.length, 0);
    assert.deepEqual(span!.attributes, {
      ...RECEIVE_BASE,
      "messaging.message.id": delivery.headers["webhook-id"],
      "http.response.status_code": 500,
      "gemini.webhooks.outcome": "failed",
      "error.type": "handler_failed",
      "gemini.webhooks.event_type": "batch.succeeded",
      "gemini.webhooks.scheme": "v1",
      "gemini.webhooks.secret_index": 1,
    });
    assert.deepEqual(span!.status, { code: api.SpanStatusCode.ERROR, message: "handler_failed" });
    // The handler's own error, as the exception event (the HTTP answer never carries it).
    assert.deepEqual(
      span!.events.map((event) => [event.name, event.attributes?.["exception.message"]]),
      [["exception", "database down"]],
    );
    const child = sdk.spans().find((candidate) => candidate.name === "db.insert")!;
    assert.equal(child.parentSpanContext?.spanId, span!.spanContext().spanId);
    assert.deepEqual(summarize(await sdk.points()), {
      'gemini.webhooks.deliveries {"gemini.webhooks.outcome":"failed","error.type":"handler_failed"}': 1,
      'gemini.webhooks.duration {"gemini.webhooks.outcome":"failed","error.type":"handler_failed"}': 1,
    });
  });

  it("the same delivery while it is being handled: 409, a duplicate with error.type delivery_in_progress", async () => {
    const delivery = signedDelivery(batchSucceeded("batches/slow"));
    let openGate: () => void = () => {};
    slowGate = new Promise((resolve) => (openGate = resolve));
    const started = new Promise<void>((resolve) => (slowStarted = resolve));
    const first = post(url(), delivery);
    await started; // the first request holds the claim, inside its handler
    const second = await post(url(), delivery);
    openGate();
    assert.equal(second.status, 409);
    assert.equal((await first).status, 200);
    const spans = await receiveSpans(2);
    const busy = spans.find((span) => span.attributes["http.response.status_code"] === 409)!;
    assert.deepEqual(busy.attributes, {
      ...RECEIVE_BASE,
      "messaging.message.id": delivery.headers["webhook-id"],
      "http.response.status_code": 409,
      "gemini.webhooks.outcome": "duplicate",
      "error.type": "delivery_in_progress",
      "gemini.webhooks.scheme": "v1",
      "gemini.webhooks.secret_index": 1,
    });
    assert.equal(busy.status.code, api.SpanStatusCode.UNSET);
    assert.deepEqual(summarize(await sdk.points()), {
      'gemini.webhooks.deliveries {"gemini.webhooks.outcome":"handled"}': 1,
      'gemini.webhooks.duration {"gemini.webhooks.outcome":"handled"}': 1,
      'gemini.webhooks.deliveries {"gemini.webhooks.outcome":"duplicate","error.type":"delivery_in_progress"}': 1,
      'gemini.webhooks.duration {"gemini.webhooks.outcome":"duplicate","error.type":"delivery_in_progress"}': 1,
    });
  });

  it("a malformed webhook-id: 400, and the span carries no id", async () => {
    const delivery = signedDelivery(batchSucceeded("batches/bad-id"), { id: "bad id with spaces" });
    assert.equal((await post(url(), delivery)).status, 400);
    const [span] = await receiveSpans(1);
    assert.deepEqual(span!.attributes, {
      ...RECEIVE_BASE,
      "http.response.status_code": 400,
      "gemini.webhooks.outcome": "rejected",
      "error.type": "invalid_headers",
    });
  });

  it("the dedupe store runs inside the receive span too: a span its client makes (Redis, say) is a child", async () => {
    const inner = memoryStore();
    const store: DedupeStore = {
      claim: (id) => userTracer.startActiveSpan("store.claim", (span) => (span.end(), inner.claim(id))),
      complete: (id) => inner.complete(id),
      release: (id) => inner.release(id),
    };
    const app = express();
    const webhooks = geminiWebhooks({ secret: SECRET, dedupe: store });
    webhooks.on("batch.succeeded", () => {});
    app.use("/stored", webhooks);
    const other = await listen(app);
    try {
      assert.equal((await post(`${other.url}/stored`, signedDelivery(batchSucceeded("batches/stored")))).status, 200);
      const [receive] = await receiveSpans(1);
      const claim = sdk.spans().find((span) => span.name === "store.claim")!;
      assert.equal(claim.parentSpanContext?.spanId, receive!.spanContext().spanId);
    } finally {
      await other.close();
    }
  });

  it("a queued delivery: 202, a receive span of type receive, its traceparent in the job, which a worker's span links to", async () => {
    // The queue's store is not what is tested here: the jobs are kept as the queue would keep them (JSON).
    const stored: string[] = [];
    const queue: DeliveryQueue = {
      enqueue: async (job) => {
        userTracer.startActiveSpan("queue.add", (span) => span.end());
        stored.push(JSON.stringify(job));
        return "queued";
      },
      work: () => ({ close: async () => {} }),
    };
    const app = express();
    const webhooks = geminiWebhooks({ secret: SECRET, queue });
    app.use("/queued", webhooks);
    const other = await listen(app);
    try {
      const delivery = signedDelivery(batchSucceeded("batches/queued"));
      assert.equal((await post(`${other.url}/queued`, delivery)).status, 202);
      const [receive] = await receiveSpans(1);
      assert.deepEqual(receive!.attributes, {
        ...RECEIVE_BASE,
        "messaging.operation.type": "receive",
        "messaging.message.id": delivery.headers["webhook-id"],
        "http.response.status_code": 202,
        "gemini.webhooks.outcome": "queued",
        "gemini.webhooks.event_type": "batch.succeeded",
        "gemini.webhooks.scheme": "v1",
        "gemini.webhooks.secret_index": 0,
      });
      const add = sdk.spans().find((span) => span.name === "queue.add")!;
      assert.equal(add.parentSpanContext?.spanId, receive!.spanContext().spanId);
      const job = JSON.parse(stored[0]!) as QueuedDelivery;
      const { traceId, spanId } = receive!.spanContext();
      assert.deepEqual(job.traceContext, { traceparent: `00-${traceId}-${spanId}-01` });

      createOtelTelemetry(api).startProcess(job, 1).end("handled");
      const process = sdk.spans().find((span) => span.name === "gemini.webhooks.process")!;
      assert.deepEqual(
        process.links.map((link) => link.context.spanId),
        [spanId],
      );
      assert.equal(process.attributes["messaging.message.id"], delivery.headers["webhook-id"]);
      assert.deepEqual(summarize(await sdk.points()), {
        'gemini.webhooks.deliveries {"gemini.webhooks.outcome":"queued"}': 1,
        'gemini.webhooks.duration {"gemini.webhooks.outcome":"queued"}': 1,
      });
    } finally {
      await other.close();
    }
  });

  it("the Web adapter (webhooks.fetch: Hono, Next.js) traces the same way, handler spans included", async () => {
    const webhooks = geminiWebhooks({ secret: SECRET });
    webhooks.on("batch.succeeded", () => userTracer.startActiveSpan("web.handler", (span) => span.end()));
    const delivery = signedDelivery(batchSucceeded("batches/web"));
    const response = await webhooks.fetch(
      new Request("http://localhost/webhooks", { method: "POST", headers: delivery.headers, body: delivery.body }),
    );
    assert.equal(response.status, 200);
    const [span] = await receiveSpans(1);
    assert.equal(span!.attributes["messaging.message.id"], delivery.headers["webhook-id"]);
    assert.equal(span!.attributes["gemini.webhooks.outcome"], "handled");
    const child = sdk.spans().find((candidate) => candidate.name === "web.handler")!;
    assert.equal(child.parentSpanContext?.spanId, span!.spanContext().spanId);
  });

  it("telemetry: false: no span, no metric point, the delivery handled as before", async () => {
    const app = express();
    const quiet = geminiWebhooks({ secret: SECRET, telemetry: false });
    let calls = 0;
    quiet.on("batch.succeeded", () => void calls++);
    app.use("/quiet", quiet);
    const other = await listen(app);
    try {
      assert.equal((await post(`${other.url}/quiet`, signedDelivery(batchSucceeded("batches/quiet")))).status, 200);
      assert.equal(calls, 1);
      await sleep(50);
      assert.equal(sdk.spans().length, 0);
      assert.deepEqual(await sdk.points(), []);
    } finally {
      await other.close();
    }
  });
});

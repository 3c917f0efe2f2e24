// The OpenTelemetry adapter against the real SDK (in-memory span exporter, on-demand metric reader).
import assert from "node:assert/strict";
import { setImmediate as nextTurn } from "node:timers/promises";
import { afterEach, describe, it } from "node:test";
import * as api from "@opentelemetry/api";
import { createOtelTelemetry, resolveTelemetry } from "../src/telemetry/otel.js";
import type { DeliveryFacts } from "../src/telemetry/telemetry.js";
import type { QueuedDelivery } from "../src/queue/queue.js";
import { installOtelSdk } from "./support/otel-sdk.js";

const sdk = installOtelSdk();
const userTracer = api.trace.getTracer("user-app");
afterEach(() => sdk.reset());

const handled: DeliveryFacts = {
  outcome: "handled",
  status: 200,
  webhookId: "msg_otel_1",
  type: "batch.succeeded",
  scheme: "v1",
  secretIndex: 1,
  durationMs: 12.5,
};

function queuedDelivery(traceContext?: Record<string, string>): QueuedDelivery {
  return {
    event: {
      type: "batch.succeeded",
      version: "v1",
      timestamp: "2026-01-22T12:00:00Z",
      data: { id: "batches/1" },
    } as QueuedDelivery["event"],
    context: { webhookId: "msg_otel_q", timestamp: 1_769_083_200, scheme: "v1a", keyId: "key-2" },
    rawBody: Buffer.from("{}").toString("base64"),
    traceContext,
    receivedAt: Date.now(),
  };
}

describe("telemetry: the receive span", () => {
  it("is one CONSUMER span named gemini.webhooks.receive with the documented attributes", () => {
    const telemetry = createOtelTelemetry(api);
    telemetry.startDelivery()!.end(handled);
    const spans = sdk.spans();
    assert.equal(spans.length, 1);
    const [span] = spans;
    assert.equal(span!.name, "gemini.webhooks.receive");
    assert.equal(span!.kind, api.SpanKind.CONSUMER);
    assert.equal(span!.instrumentationScope.name, "gemini-webhooks-express");
    assert.deepEqual(span!.attributes, {
      "messaging.system.name": "gemini",
      "messaging.operation.name": "receive",
      "messaging.operation.type": "process",
      "messaging.message.id": "msg_otel_1",
      "http.response.status_code": 200,
      "gemini.webhooks.outcome": "handled",
      "gemini.webhooks.event_type": "batch.succeeded",
      "gemini.webhooks.scheme": "v1",
      "gemini.webhooks.secret_index": 1,
    });
    assert.equal(span!.status.code, api.SpanStatusCode.UNSET);
  });

  it("runs code inside its context: a span the handler starts, even after an await, is its child", async () => {
    const trace = createOtelTelemetry(api).startDelivery()!;
    await trace.run(async () => {
      await nextTurn();
      userTracer.startActiveSpan("db.query", (child) => child.end());
    });
    trace.end(handled);
    const receive = sdk.spans().find((span) => span.name === "gemini.webhooks.receive")!;
    const child = sdk.spans().find((span) => span.name === "db.query")!;
    assert.equal(child.spanContext().traceId, receive.spanContext().traceId);
    assert.equal(child.parentSpanContext?.spanId, receive.spanContext().spanId);
  });

  it("is a child of the span active when the delivery arrives (the HTTP server span, with HTTP instrumentation)", () => {
    const telemetry = createOtelTelemetry(api);
    userTracer.startActiveSpan("POST /webhooks", { kind: api.SpanKind.SERVER }, (server) => {
      telemetry.startDelivery()!.end(handled);
      server.end();
    });
    const server = sdk.spans().find((span) => span.name === "POST /webhooks")!;
    const receive = sdk.spans().find((span) => span.name === "gemini.webhooks.receive")!;
    assert.equal(receive.parentSpanContext?.spanId, server.spanContext().spanId);
  });

  it("a rejection: error.type and the status, no id it was not given, status left unset for a 4xx", () => {
    createOtelTelemetry(api)
      .startDelivery()!
      .end({ outcome: "rejected", status: 401, code: "invalid_signature", durationMs: 0.3 });
    const [span] = sdk.spans();
    assert.deepEqual(span!.attributes, {
      "messaging.system.name": "gemini",
      "messaging.operation.name": "receive",
      "messaging.operation.type": "process",
      "http.response.status_code": 401,
      "gemini.webhooks.outcome": "rejected",
      "error.type": "invalid_signature",
    });
    assert.equal(span!.status.code, api.SpanStatusCode.UNSET);
  });

  it("a 5xx answer marks the span as an error, with the code as its message", () => {
    createOtelTelemetry(api)
      .startDelivery()!
      .end({ ...handled, outcome: "failed", status: 500, code: "handler_failed" });
    const [span] = sdk.spans();
    assert.deepEqual(span!.status, { code: api.SpanStatusCode.ERROR, message: "handler_failed" });
    assert.equal(span!.attributes["error.type"], "handler_failed");
  });

  it("a queued delivery is a receive operation; ending twice records once", async () => {
    const trace = createOtelTelemetry(api).startDelivery()!;
    trace.end({ ...handled, outcome: "queued", status: 202 });
    trace.end({ ...handled, outcome: "failed", status: 500, code: "handler_failed" });
    const spans = sdk.spans();
    assert.equal(spans.length, 1);
    assert.equal(spans[0]!.attributes["messaging.operation.type"], "receive");
    assert.equal(spans[0]!.attributes["gemini.webhooks.outcome"], "queued");
    const points = await sdk.points();
    assert.equal(points.find((point) => point.name === "gemini.webhooks.deliveries")?.value, 1);
  });
});

describe("telemetry: metrics", () => {
  it("counts deliveries by outcome and error.type and records the duration in seconds", async () => {
    const telemetry = createOtelTelemetry(api);
    telemetry.startDelivery()!.end(handled);
    telemetry.startDelivery()!.end({ ...handled, durationMs: 7.5 });
    telemetry.startDelivery()!.end({ outcome: "rejected", status: 401, code: "invalid_signature", durationMs: 0.5 });
    const points = await sdk.points();
    const byKey = (point: { name: string; attributes: Record<string, unknown> }) =>
      `${point.name} ${JSON.stringify(point.attributes)}`;
    assert.deepEqual(points.map(byKey).sort(), [
      'gemini.webhooks.deliveries {"gemini.webhooks.outcome":"handled"}',
      'gemini.webhooks.deliveries {"gemini.webhooks.outcome":"rejected","error.type":"invalid_signature"}',
      'gemini.webhooks.duration {"gemini.webhooks.outcome":"handled"}',
      'gemini.webhooks.duration {"gemini.webhooks.outcome":"rejected","error.type":"invalid_signature"}',
    ]);
    const find = (name: string, outcome: string) =>
      points.find((point) => point.name === name && point.attributes["gemini.webhooks.outcome"] === outcome)!;
    assert.equal(find("gemini.webhooks.deliveries", "handled").value, 2);
    assert.equal(find("gemini.webhooks.deliveries", "handled").unit, "{delivery}");
    assert.equal(find("gemini.webhooks.deliveries", "rejected").value, 1);
    const duration = find("gemini.webhooks.duration", "handled");
    assert.equal(duration.unit, "s");
    assert.equal(duration.count, 2);
    assert.ok(Math.abs(duration.sum! - 0.02) < 1e-9, `sum ${duration.sum}`);
  });

  it("an SDK registered after the receiver was created still gets the metrics", async () => {
    const telemetry = createOtelTelemetry(api);
    telemetry.startDelivery()!.end(handled);
    const latePoints = sdk.replaceMeterProvider();
    telemetry.startDelivery()!.end(handled);
    const points = await latePoints();
    assert.equal(points.find((point) => point.name === "gemini.webhooks.deliveries")?.value, 1);
  });
});

describe("telemetry: queued deliveries", () => {
  it("carrier() is the W3C traceparent of the receive span", () => {
    const trace = createOtelTelemetry(api).startDelivery()!;
    const carrier = trace.carrier();
    trace.end({ ...handled, outcome: "queued", status: 202 });
    const receive = sdk.spans()[0]!.spanContext();
    assert.deepEqual(carrier, { traceparent: `00-${receive.traceId}-${receive.spanId}-01` });
  });

  it("the worker's gemini.webhooks.process span links to the receive span, with the attempt number", () => {
    const telemetry = createOtelTelemetry(api);
    const receive = telemetry.startDelivery()!;
    const delivery = queuedDelivery(receive.carrier());
    receive.end({ ...handled, outcome: "queued", status: 202 });
    // A worker elsewhere: JSON round trip, as through Redis.
    const job = JSON.parse(JSON.stringify(delivery)) as QueuedDelivery;
    const attempt = telemetry.startProcess(job, 2);
    attempt.run(() => userTracer.startActiveSpan("db.write", (child) => child.end()));
    attempt.end("handled");

    const receiveSpan = sdk.spans().find((span) => span.name === "gemini.webhooks.receive")!;
    const process = sdk.spans().find((span) => span.name === "gemini.webhooks.process")!;
    const child = sdk.spans().find((span) => span.name === "db.write")!;
    assert.equal(process.kind, api.SpanKind.CONSUMER);
    assert.equal(process.links.length, 1);
    assert.equal(process.links[0]!.context.traceId, receiveSpan.spanContext().traceId);
    assert.equal(process.links[0]!.context.spanId, receiveSpan.spanContext().spanId);
    assert.notEqual(process.spanContext().traceId, receiveSpan.spanContext().traceId, "a link, not a parent");
    assert.equal(child.parentSpanContext?.spanId, process.spanContext().spanId);
    assert.deepEqual(process.attributes, {
      "messaging.system.name": "gemini",
      "messaging.operation.name": "process",
      "messaging.operation.type": "process",
      "messaging.message.id": "msg_otel_q",
      "gemini.webhooks.event_type": "batch.succeeded",
      "gemini.webhooks.scheme": "v1a",
      "gemini.webhooks.key_id": "key-2",
      "gemini.webhooks.attempt": 2,
      "gemini.webhooks.outcome": "handled",
    });
    assert.equal(process.status.code, api.SpanStatusCode.UNSET);
  });

  it("a failed attempt: error status, error.type and the exception event", () => {
    const attempt = createOtelTelemetry(api).startProcess(queuedDelivery(), 1);
    attempt.end("retrying", new Error("database down"));
    const [span] = sdk.spans();
    assert.equal(span!.attributes["gemini.webhooks.outcome"], "retrying");
    assert.equal(span!.attributes["error.type"], "handler_failed");
    assert.deepEqual(span!.status, { code: api.SpanStatusCode.ERROR, message: "handler_failed" });
    assert.equal(span!.events[0]?.name, "exception");
    assert.equal(span!.events[0]?.attributes?.["exception.message"], "database down");
  });

  it("tracestate travels with traceparent; a malformed carrier gives no link and no error", () => {
    const telemetry = createOtelTelemetry(api);
    const traceId = "4bf92f3577b34da6a3ce929d0e0e4736";
    telemetry
      .startProcess(queuedDelivery({ traceparent: `00-${traceId}-00f067aa0ba902b7-01`, tracestate: "vendor=abc" }), 1)
      .end("handled");
    for (const bad of [
      "00-xyz-00f067aa0ba902b7-01",
      `00-${"0".repeat(32)}-00f067aa0ba902b7-01`,
      `ff-${traceId}-00f067aa0ba902b7-01`,
    ]) {
      telemetry.startProcess(queuedDelivery({ traceparent: bad }), 1).end("handled");
    }
    telemetry.startProcess({ ...queuedDelivery(), traceContext: 42 as never }, 1).end("handled");
    const [linked, ...unlinked] = sdk.spans();
    assert.equal(linked!.links[0]!.context.traceId, traceId);
    assert.equal(linked!.links[0]!.context.traceState?.get("vendor"), "abc");
    assert.equal(unlinked.length, 4);
    for (const span of unlinked) assert.equal(span.links.length, 0);
  });
});

describe("telemetry: a failing backend", () => {
  /** The real API, with a tracer provider and a meter provider that throw where the test says. */
  function brokenApi(where: "startSpan" | "end" | "metrics"): typeof api {
    const boom = () => {
      throw new Error(`backend broken at ${where}`);
    };
    const realTracer = api.trace.getTracer("broken-backend");
    const tracer = {
      startSpan: (...args: Parameters<api.Tracer["startSpan"]>) => {
        if (where === "startSpan") boom();
        const span = realTracer.startSpan(...args);
        if (where === "end") span.end = boom;
        return span;
      },
    } as unknown as api.Tracer;
    const trace = Object.create(api.trace, { getTracerProvider: { value: () => ({ getTracer: () => tracer }) } });
    const meter = { createCounter: () => ({ add: boom }), createHistogram: () => ({ record: boom }) };
    const metrics =
      where === "metrics"
        ? Object.create(api.metrics, { getMeterProvider: { value: () => ({ getMeter: () => meter }) } })
        : api.metrics;
    return { ...api, trace, metrics } as typeof api;
  }

  for (const where of ["startSpan", "end", "metrics"] as const) {
    it(`throwing at ${where}: the delivery runs, its result comes back, nothing is thrown`, async () => {
      const telemetry = createOtelTelemetry(brokenApi(where));
      const trace = telemetry.startDelivery()!;
      assert.equal(await trace.run(async () => "handler result"), "handler result");
      assert.doesNotThrow(() => trace.end(handled));
      const attempt = telemetry.startProcess(queuedDelivery(), 1);
      assert.equal(
        attempt.run(() => 7),
        7,
      );
      assert.doesNotThrow(() => attempt.end("failed", new Error("x")));
    });
  }

  it("run() passes the handler's own error through unchanged", async () => {
    const trace = createOtelTelemetry(api).startDelivery()!;
    const failure = new Error("handler failed");
    await assert.rejects(
      trace.run(async () => Promise.reject(failure)),
      (error) => error === failure,
    );
    assert.throws(
      () =>
        trace.run(() => {
          throw failure;
        }),
      (error) => error === failure,
    );
    trace.end(handled);
  });
});

describe("telemetry: resolveTelemetry", () => {
  it("telemetry: false turns it off; by default it is on when @opentelemetry/api is installed", () => {
    assert.equal(resolveTelemetry(false), undefined);
    const telemetry = resolveTelemetry(undefined);
    assert.ok(telemetry);
    telemetry.startDelivery()!.end(handled);
    assert.equal(sdk.spans().length, 1);
    assert.ok(resolveTelemetry(true));
  });
});

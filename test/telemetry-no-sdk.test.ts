// @opentelemetry/api installed but no SDK registered (yet): the receiver skips telemetry, and takes it up with
// the first delivery after the app registers one. Its own file: each test file is its own process, so nothing is
// registered here until this file registers it.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import * as api from "@opentelemetry/api";
import { createOtelTelemetry } from "../src/telemetry/otel.js";
import type { DeliveryFacts } from "../src/telemetry/telemetry.js";
import { geminiWebhooks } from "../src/index.js";
import { webRequest } from "./support/contract.js";
import { installOtelSdk } from "./support/otel-sdk.js";
import { SECRET, batchSucceeded, signedDelivery } from "./support/helpers.js";

const deliver = (webhooks: ReturnType<typeof geminiWebhooks>) =>
  webhooks.fetch(webRequest("http://localhost/webhook", signedDelivery(batchSucceeded())));

const handled: DeliveryFacts = {
  outcome: "handled",
  status: 200,
  webhookId: "msg_no_sdk",
  type: "batch.succeeded",
  scheme: "v1",
  durationMs: 1,
};

describe("telemetry without an SDK", () => {
  it("nothing registered: no trace at all (no span, no context, no clock), and deliveries are handled", async () => {
    const telemetry = createOtelTelemetry(api);
    assert.equal(telemetry.startDelivery(), undefined);

    const webhooks = geminiWebhooks({ secret: SECRET });
    let seen = 0;
    webhooks.on("batch.succeeded", () => void seen++);
    const response = await deliver(webhooks);
    assert.equal(response.status, 200);
    assert.equal(seen, 1);
  });

  it("an SDK registered later: the next delivery is traced and counted (checked per delivery, not once)", async () => {
    const telemetry = createOtelTelemetry(api);
    const webhooks = geminiWebhooks({ secret: SECRET });
    webhooks.on("batch.succeeded", () => {});
    assert.equal(telemetry.startDelivery(), undefined);

    const sdk = installOtelSdk();
    const trace = telemetry.startDelivery();
    assert.ok(trace, "a trace once an SDK is registered");
    trace.end(handled);
    assert.deepEqual(
      sdk.spans().map((span) => span.name),
      ["gemini.webhooks.receive"],
    );
    assert.equal((await deliver(webhooks)).status, 200);
    assert.equal(sdk.spans().length, 2, "the receiver created before the SDK traces too");
    const points = await sdk.points();
    assert.ok(points.some((point) => point.name === "gemini.webhooks.deliveries" && point.value === 2));
  });

  it("only a MeterProvider registered: metrics without spans", async () => {
    // A fresh SDK (the previous test registered one), then without its tracer provider.
    api.trace.disable();
    api.metrics.disable();
    api.context.disable();
    const sdk = installOtelSdk();
    api.trace.disable(); // keep the meter provider, drop the tracer provider
    await sdk.reset();
    const trace = createOtelTelemetry(api).startDelivery();
    assert.ok(trace, "metrics still need the delivery's facts");
    assert.equal(trace.carrier(), undefined, "no span, so no trace context for a queued job");
    assert.equal(
      trace.run(() => 42),
      42,
    );
    trace.end(handled);
    assert.equal(sdk.spans().length, 0);
    const points = await sdk.points();
    assert.deepEqual(
      points.filter((point) => point.name === "gemini.webhooks.deliveries").map((point) => point.value),
      [1],
    );
  });
});

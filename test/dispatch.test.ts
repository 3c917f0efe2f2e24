// Typed dispatch: which handlers a delivery reaches, in what order, and what the lifecycle reports say.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import express from "express";
import { geminiWebhooks, isEventType, type DeliveryLifecycleEvent } from "../src/index.js";
import { SECRET, batchSucceeded, listen, post, signedDelivery, type RunningServer } from "./support/helpers.js";

describe("dispatch", () => {
  let server: RunningServer;
  const order: string[] = [];
  const lifecycle: DeliveryLifecycleEvent[] = [];

  before(async () => {
    const app = express();
    const webhooks = geminiWebhooks({ secret: SECRET });
    webhooks.on("batch.succeeded", (event) => void order.push(`succeeded:${event.type}:${event.data.id}`));
    webhooks.on("batch.succeeded", async (event) => void order.push(`succeeded-2:${event.data.id}`));
    webhooks.on(
      "video.generated",
      (event) => void order.push(`video:${event.data.video_uri ?? event.data.output_file_uri}`),
    );
    webhooks.on("some.future_type", (event) => void order.push(`future:${String((event.data as { n?: number })?.n)}`));
    webhooks.onAny((event) => {
      order.push(`any:${event.type}`);
      if (isEventType(event, "batch.succeeded")) order.push(`any-narrowed:${event.data.output_file_uri}`);
      if (event.type === "explode") throw new Error("boom");
    });
    webhooks.onLifecycle((event) => void lifecycle.push(event));
    webhooks.onError(() => {});
    app.use(webhooks);
    server = await listen(app);
  });
  after(() => server.close());

  it("runs the type's handlers in registration order, then onAny", async () => {
    order.length = 0;
    assert.equal((await post(server.url, signedDelivery(batchSucceeded("b1")))).status, 200);
    assert.deepEqual(order, [
      "succeeded:batch.succeeded:b1",
      "succeeded-2:b1",
      "any:batch.succeeded",
      "any-narrowed:gs://my-bucket/results.jsonl",
    ]);
  });

  it("delivers the documented alias batch.completed to batch.succeeded handlers, with its type as sent", async () => {
    order.length = 0;
    const event = { ...batchSucceeded("b2"), type: "batch.completed" };
    assert.equal((await post(server.url, signedDelivery(event))).status, 200);
    assert.deepEqual(order.slice(0, 3), ["succeeded:batch.completed:b2", "succeeded-2:b2", "any:batch.completed"]);
  });

  it("accepts both documented shapes of video.generated", async () => {
    order.length = 0;
    await post(
      server.url,
      signedDelivery({ type: "video.generated", data: { id: "v", file_id: "f", video_uri: "gs://v.mp4" } }),
    );
    await post(
      server.url,
      signedDelivery({ type: "video.generated", data: { id: "v", output_file_uri: "gs://o.mp4", file_name: "o.mp4" } }),
    );
    assert.deepEqual(
      order.filter((o) => o.startsWith("video:")),
      ["video:gs://v.mp4", "video:gs://o.mp4"],
    );
  });

  it("unknown types reach their own handler (on accepts any name) and onAny", async () => {
    order.length = 0;
    assert.equal((await post(server.url, signedDelivery({ type: "some.future_type", data: { n: 7 } }))).status, 200);
    assert.deepEqual(order, ["future:7", "any:some.future_type"]);
  });

  it("reports lifecycle stages with code, scheme, id and duration", async () => {
    lifecycle.length = 0;
    const ok = signedDelivery(batchSucceeded());
    await post(server.url, ok);
    await post(server.url, ok);
    await post(server.url, { ...ok, headers: { ...ok.headers, "webhook-signature": "v1,AAAA" } });
    await post(server.url, signedDelivery({ type: "explode" }));
    const stages = lifecycle.map((e) => `${e.stage}:${e.status ?? ""}:${e.code ?? ""}`);
    assert.deepEqual(stages, [
      "received::",
      "verified::",
      "handled:200:",
      "received::",
      "verified::",
      "duplicate:200:",
      "received::",
      "rejected:401:invalid_signature",
      "received::",
      "verified::",
      "failed:500:handler_failed",
    ]);
    const handled = lifecycle[2]!;
    assert.equal(handled.webhookId, ok.headers["webhook-id"]);
    assert.equal(handled.scheme, "v1");
    assert.equal(handled.type, "batch.succeeded");
    assert.ok(handled.durationMs >= 0 && handled.durationMs < 10_000);
  });

  it("a listener that throws does not change the answer", async () => {
    const app = express();
    const webhooks = geminiWebhooks({ secret: SECRET }).onAny(() => {});
    webhooks.onLifecycle(() => {
      throw new Error("metrics down");
    });
    webhooks.onError(() => {
      throw new Error("logger down");
    });
    // On a path: at the root, a POST without webhook headers is passed on (docs/express.md).
    app.use("/hook", webhooks);
    const local = await listen(app);
    try {
      assert.equal((await post(`${local.url}/hook`, signedDelivery(batchSucceeded()))).status, 200);
      assert.equal((await post(`${local.url}/hook`, { headers: {}, body: "{}" })).status, 400);
    } finally {
      await local.close();
    }
  });
});

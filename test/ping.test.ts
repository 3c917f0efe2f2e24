// Pings (WebhookService ping: "Sends a ping event to a Webhook"; its type name and body are unpublished) and
// any other unknown type: verified like every delivery, acknowledged 2xx, visible to onAny and onLifecycle.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import express from "express";
import {
  geminiWebhooks,
  type AnyGeminiEvent,
  type DeliveryLifecycleEvent,
  type GeminiWebhooks,
  type GeminiWebhooksOptions,
} from "../src/index.js";
import { listen, OTHER_SECRET, SECRET, signedDelivery } from "./support/helpers.js";

// Guesses at what a ping may look like: none is published, so none may be treated specially.
const PINGS = [
  { type: "ping", data: {} },
  { type: "webhook.ping", version: "v1", timestamp: "2026-12-02T12:00:00Z", data: { id: "webhooks/abc123" } },
  { type: "webhook.test" },
];

async function withReceiver(
  setup: (webhooks: GeminiWebhooks) => void,
  body: (post: (delivery: { headers: Record<string, string>; body: string }) => Promise<Response>) => Promise<void>,
  options: GeminiWebhooksOptions = { secret: SECRET },
): Promise<void> {
  const webhooks = geminiWebhooks(options);
  setup(webhooks);
  const server = await listen(express().use("/hook", webhooks));
  try {
    await body((delivery) =>
      fetch(`${server.url}/hook`, { method: "POST", headers: delivery.headers, body: delivery.body }),
    );
  } finally {
    await server.close();
  }
}

describe("pings and unknown types", () => {
  it('with no handler at all, a signed ping is acknowledged 200 {"status":"unhandled"}', async () => {
    const stages: DeliveryLifecycleEvent[] = [];
    await withReceiver(
      (webhooks) => webhooks.onLifecycle((event) => stages.push(event)),
      async (post) => {
        for (const ping of PINGS) {
          const response = await post(signedDelivery(ping));
          assert.equal(response.status, 200, ping.type);
          assert.deepEqual(await response.json(), { status: "unhandled" });
        }
      },
    );
    const handled = stages.filter((event) => event.stage === "handled");
    assert.deepEqual(
      handled.map((event) => event.type),
      PINGS.map((ping) => ping.type),
      "the lifecycle report names each type as sent",
    );
  });

  it("a signed ping reaches onAny, with its body as sent, and is answered 200 received", async () => {
    const seen: AnyGeminiEvent[] = [];
    await withReceiver(
      (webhooks) => webhooks.onAny((event) => void seen.push(event)),
      async (post) => {
        for (const ping of PINGS) {
          const response = await post(signedDelivery(ping));
          assert.equal(response.status, 200, ping.type);
          assert.deepEqual(await response.json(), { status: "received" });
        }
      },
    );
    assert.deepEqual(seen, PINGS);
  });

  it("a handler registered for a guessed name runs for it, and not for documented types", async () => {
    const calls: string[] = [];
    await withReceiver(
      (webhooks) => webhooks.on(["ping", "webhook.ping"], (event) => void calls.push(event.type)),
      async (post) => {
        assert.equal((await post(signedDelivery({ type: "webhook.ping" }))).status, 200);
        assert.deepEqual(await (await post(signedDelivery({ type: "batch.expired", data: { id: "b" } }))).json(), {
          status: "unhandled",
        });
      },
    );
    assert.deepEqual(calls, ["webhook.ping"]);
  });

  it("an unsigned or wrongly signed ping is refused like any delivery: no handler runs", async () => {
    const seen: string[] = [];
    await withReceiver(
      (webhooks) => webhooks.onAny((event) => void seen.push(event.type)),
      async (post) => {
        const forged = await post(signedDelivery({ type: "ping" }, { secret: OTHER_SECRET }));
        assert.equal(forged.status, 401);
        assert.equal(((await forged.json()) as { error: string }).error, "invalid_signature");
        const stale = await post(signedDelivery({ type: "ping" }, { timestamp: Math.floor(Date.now() / 1000) - 3600 }));
        assert.equal(stale.status, 401);
        assert.equal(((await stale.json()) as { error: string }).error, "timestamp_too_old");
        const unsigned = signedDelivery({ type: "ping" });
        delete unsigned.headers["webhook-signature"];
        assert.equal((await post(unsigned)).status, 400);
      },
    );
    assert.deepEqual(seen, []);
  });

  it("a ping is de-duplicated like any delivery (same webhook-id → duplicate)", async () => {
    let calls = 0;
    await withReceiver(
      (webhooks) => webhooks.onAny(() => void calls++),
      async (post) => {
        const ping = signedDelivery({ type: "ping" });
        assert.deepEqual(await (await post(ping)).json(), { status: "received" });
        assert.deepEqual(await (await post(ping)).json(), { status: "duplicate" });
      },
    );
    assert.equal(calls, 1);
  });
});

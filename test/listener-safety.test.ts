// No user callback can crash the process or change an answer: async listeners that reject, listeners that
// throw, and errors that never carry a stranger's raw webhook-id (issue 12, findings 1 and 2).
import assert from "node:assert/strict";
import { after, describe, test } from "node:test";
import express from "express";
import { geminiWebhooks, type WebhookError } from "../src/index.js";
import type { DeliveryLifecycleEvent } from "../src/lifecycle.js";
import { batchSucceeded, listen, post, SECRET, signedDelivery, type RunningServer } from "./support/helpers.js";

/** Collects unhandled rejections for the duration of a test: any one is a crash in production. */
function watchUnhandledRejections(): { reasons: unknown[]; stop(): void } {
  const reasons: unknown[] = [];
  const onRejection = (reason: unknown) => reasons.push(reason);
  process.on("unhandledRejection", onRejection);
  return { reasons, stop: () => process.off("unhandledRejection", onRejection) };
}

/** Lets pending microtasks and a timer turn run, so that a rejection nobody handles is reported. */
const settle = () => new Promise((resolve) => setTimeout(resolve, 50));

const servers: RunningServer[] = [];
after(() => Promise.all(servers.map((server) => server.close())));

async function serve(webhooks: ReturnType<typeof geminiWebhooks>): Promise<string> {
  const app = express();
  app.use("/hook", webhooks);
  const server = await listen(app);
  servers.push(server);
  return `${server.url}/hook`;
}

describe("listeners that fail", () => {
  test("an async onError listener that rejects: the forged request still gets its 401 and nothing goes unhandled", async () => {
    const watch = watchUnhandledRejections();
    try {
      let calls = 0;
      const webhooks = geminiWebhooks({ secret: SECRET }).onError(async () => {
        calls++;
        throw new Error("log sink down");
      });
      const url = await serve(webhooks);
      const forged = signedDelivery(batchSucceeded(), { secret: "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD" });
      const answer = await post(url, forged);
      assert.deepEqual([answer.status, answer.json.error], [401, "invalid_signature"]);
      await settle();
      assert.equal(calls, 1);
      assert.deepEqual(watch.reasons, []);
    } finally {
      watch.stop();
    }
  });

  test("an async onLifecycle listener that rejects at every stage: genuine deliveries are still handled", async () => {
    const watch = watchUnhandledRejections();
    try {
      const stages: string[] = [];
      let handled = 0;
      const webhooks = geminiWebhooks({ secret: SECRET })
        .onLifecycle(async (event) => {
          stages.push(event.stage);
          throw new Error("metrics backend down");
        })
        .on("batch.succeeded", () => void handled++);
      const url = await serve(webhooks);
      const answer = await post(url, signedDelivery(batchSucceeded()));
      assert.deepEqual([answer.status, answer.json], [200, { status: "received" }]);
      await settle();
      assert.equal(handled, 1);
      assert.deepEqual(stages, ["received", "verified", "handled"]);
      assert.deepEqual(watch.reasons, []);
    } finally {
      watch.stop();
    }
  });

  test("a listener that returns a thenable which rejects later, and one that throws synchronously: both contained", async () => {
    const watch = watchUnhandledRejections();
    try {
      const seen: string[] = [];
      const webhooks = geminiWebhooks({ secret: SECRET })
        .onError(() => {
          throw new Error("sync throw");
        })
        .onError(() => ({
          then: (_ok: unknown, fail: (e: unknown) => void) => setTimeout(() => fail(new Error("late")), 5),
        }))
        .onError((error) => void seen.push(error.code));
      const url = await serve(webhooks);
      const answer = await post(url, { headers: { "content-type": "application/json" }, body: "{}" });
      assert.equal(answer.status, 400);
      await settle();
      assert.deepEqual(seen, ["missing_headers"], "a failing listener stopped the listeners after it");
      assert.deepEqual(watch.reasons, []);
    } finally {
      watch.stop();
    }
  });
});

describe("what errors and lifecycle reports carry", () => {
  test("a 7 KB webhook-id full of spaces, quotes and latin1 is refused, and never reaches onError or onLifecycle", async () => {
    const errors: WebhookError[] = [];
    const reports: DeliveryLifecycleEvent[] = [];
    const webhooks = geminiWebhooks({ secret: SECRET })
      .onError((error) => void errors.push(error))
      .onLifecycle((event) => void reports.push(event));
    const url = await serve(webhooks);
    const forgedId = `x" level=error msg="forged log line" ${"\u00e9 ".repeat(3500)}`;
    const response = await fetch(url, {
      method: "POST",
      // Latin-1 bytes: fetch sends header values as ByteString, so encode the id the way a raw client would.
      headers: {
        "webhook-id": Buffer.from(forgedId, "latin1").toString("latin1"),
        "webhook-signature": "v1,AAAA",
        "content-type": "application/json",
      },
      body: "{}",
    });
    const json = (await response.json()) as { error: string; message: string };
    assert.deepEqual([response.status, json.error], [400, "missing_headers"]);
    assert.ok(!JSON.stringify(json).includes("forged log line"), "the answer echoed the header");
    assert.equal(errors.length, 1);
    assert.equal(errors[0]!.webhookId, undefined, "the raw id reached onError");
    assert.ok(!errors[0]!.message.includes("forged"), "the raw id reached the error message");
    assert.ok(reports.length >= 2);
    for (const report of reports)
      assert.equal(report.webhookId, undefined, `the raw id reached the ${report.stage} report`);
  });

  test("a valid id with a bad timestamp is reported with its id (validated ids still help debugging)", async () => {
    const errors: WebhookError[] = [];
    const webhooks = geminiWebhooks({ secret: SECRET }).onError((error) => void errors.push(error));
    const url = await serve(webhooks);
    const delivery = signedDelivery(batchSucceeded(), { id: "msg_valid_id_1" });
    delivery.headers["webhook-timestamp"] = "+17";
    const answer = await post(url, delivery);
    assert.deepEqual([answer.status, answer.json.error], [400, "invalid_headers"]);
    assert.equal(errors[0]?.webhookId, "msg_valid_id_1");
  });
});

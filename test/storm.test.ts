// Duplicate storms: hundreds of concurrent copies of one genuine delivery, as at-least-once delivery
// plus impatient retries produce. The handler must run exactly once per success, every other copy is
// 409 (still in flight) or 200 duplicate (done), and no claim may outlive its request.
import assert from "node:assert/strict";
import { Agent } from "node:http";
import { after, describe, test } from "node:test";
import express from "express";
import { geminiWebhooks, memoryStore } from "../src/index.js";
import {
  NOW_SECONDS,
  SCHEMES,
  countingStore,
  genuine,
  sampleEventWithText,
  sendWire,
  startTarget,
  wireOf,
} from "./support/adversary.js";
import { listen, tally } from "./support/helpers.js";

const COPIES = 500;
const agent = new Agent({ keepAlive: true, maxSockets: COPIES });
after(() => agent.destroy());

/** Resolves once `count` copies were answered 409, so the handler can be held until the storm has hit. */
function inFlightRejections(
  receiver: { onLifecycle(listener: (e: { code?: string }) => void): unknown },
  count: number,
) {
  let seen = 0;
  let reached!: () => void;
  const promise = new Promise<void>((resolve) => (reached = resolve));
  receiver.onLifecycle((event) => {
    if (event.code === "delivery_in_progress" && ++seen === count) reached();
  });
  return { promise, reset: () => (seen = 0) };
}

for (const scheme of SCHEMES) {
  describe(`duplicate storms (${scheme.name})`, () => {
    test(`${COPIES} concurrent copies: the handler runs once, the rest are 409 while it runs and 200 duplicate after`, async () => {
      let release!: () => void;
      const held = new Promise<void>((resolve) => (release = resolve));
      const target = await startTarget(scheme, {}, () => held);
      const everyOtherCopy = inFlightRejections(target.receiver, COPIES - 1);
      void everyOtherCopy.promise.then(release);
      try {
        const delivery = await genuine(scheme, sampleEventWithText());
        const storm = await Promise.all(
          Array.from({ length: COPIES }, () => sendWire(target.url, wireOf(delivery), agent)),
        );
        assert.deepEqual(tally(storm), { "200 received": 1, "409 delivery_in_progress": COPIES - 1 });
        assert.ok(storm.filter((a) => a.status === 409).every((a) => a.headers["retry-after"] === "5"));
        // After success, the same storm (Gemini's retries) is acknowledged without running anything.
        const later = await Promise.all(
          Array.from({ length: COPIES }, () => sendWire(target.url, wireOf(delivery), agent)),
        );
        assert.deepEqual(tally(later), { "200 duplicate": COPIES });
        assert.deepEqual(target.runs, [delivery.id]);
        assert.equal(target.store.outstanding.size, 0, "a claim leaked");
        console.log(
          `[storm ${scheme.name}] ${COPIES * 2} copies: ${target.runs.length} handler run, ${JSON.stringify({ ...tally(storm), ...tally(later) })}`,
        );
      } finally {
        await target.close();
      }
    });

    test(`${COPIES} concurrent copies while the handler fails the first time: the claim is released and exactly one later run succeeds`, async () => {
      let attempts = 0;
      let release!: () => void;
      let held = new Promise<void>((resolve) => (release = resolve));
      const target = await startTarget(scheme, {}, async () => {
        attempts += 1;
        await held;
        if (attempts === 1) throw new Error("database down");
      });
      const rejections = inFlightRejections(target.receiver, COPIES - 1);
      target.receiver.onError(() => {}); // the failure is expected: keep it out of console.error
      try {
        const delivery = await genuine(scheme, sampleEventWithText());
        void rejections.promise.then(release);
        const first = await Promise.all(
          Array.from({ length: COPIES }, () => sendWire(target.url, wireOf(delivery), agent)),
        );
        assert.deepEqual(tally(first), { "500 handler_failed": 1, "409 delivery_in_progress": COPIES - 1 });
        assert.equal(target.store.outstanding.size, 0, "the failed claim was not released");

        // Gemini retries (new timestamps, same id) until one succeeds.
        const waves: Array<Record<string, number>> = [tally(first)];
        let succeeded = 0;
        for (let wave = 1; wave <= 5 && succeeded === 0; wave++) {
          const retry = await genuine(scheme, delivery.body, {
            id: delivery.id,
            timestamp: String(NOW_SECONDS + wave),
          });
          const answers = await Promise.all(
            Array.from({ length: COPIES }, () => sendWire(target.url, wireOf(retry), agent)),
          );
          waves.push(tally(answers));
          succeeded += answers.filter((a) => a.status === 200 && a.json.status === "received").length;
          assert.ok(
            answers.every((a) => a.status === 200 || a.status === 409),
            JSON.stringify(tally(answers)),
          );
        }
        assert.equal(succeeded, 1, "exactly one successful run");
        assert.equal(attempts, 2, "one failed run, one successful run");
        assert.equal(target.store.outstanding.size, 0, "a claim leaked");
        const after = await sendWire(target.url, wireOf(delivery), agent);
        assert.deepEqual([after.status, after.json], [200, { status: "duplicate" }]);
        console.log(
          `[storm ${scheme.name}] failing first run: ${attempts} runs (1 failed, 1 succeeded), waves ${JSON.stringify(waves)}`,
        );
      } finally {
        held = Promise.resolve();
        await target.close();
      }
    });

    test("two receivers sharing one store (two instances behind a load balancer): still one run", async () => {
      const shared = countingStore(memoryStore());
      const runs: string[] = [];
      const servers = await Promise.all(
        [0, 1].map(async () => {
          const receiver = geminiWebhooks({ ...scheme.receiverOptions, dedupe: shared, now: () => NOW_SECONDS * 1000 });
          receiver.onAny(async (_event, ctx) => {
            runs.push(ctx.webhookId);
            await new Promise((resolve) => setImmediate(resolve));
          });
          const app = express();
          app.use("/hooks", receiver);
          return listen(app);
        }),
      );
      try {
        const delivery = await genuine(scheme, sampleEventWithText());
        const answers = await Promise.all(
          Array.from({ length: COPIES }, (_, index) =>
            sendWire(`${servers[index % 2]!.url}/hooks`, wireOf(delivery), agent),
          ),
        );
        const counts = tally(answers);
        assert.equal(counts["200 received"], 1);
        assert.equal(
          (counts["409 delivery_in_progress"] ?? 0) + (counts["200 duplicate"] ?? 0),
          COPIES - 1,
          JSON.stringify(counts),
        );
        assert.deepEqual(runs, [delivery.id]);
        assert.equal(shared.outstanding.size, 0);
      } finally {
        await Promise.all(servers.map((server) => server.close()));
      }
    });
  });
}

// What makes tracking or catch-up a lie is refused loudly, naming the fix: track() without a store, with a store
// that cannot keep jobs, without oncePerCompletion, with a name that is no job; a memory store full of tracked
// jobs; catchUp() on a receiver without a store, or with a store that does not say how long it remembers. A store
// that fails while catch-up reads or drops tracked jobs is reported, never a crash. No outside service needed.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { GoogleGenAI } from "@google/genai";
import { catchUp } from "../src/catch-up.js";
import { memoryStore } from "../src/dedupe/memory.js";
import type { ClaimResult, DedupeStore } from "../src/dedupe/store.js";
import type { TrackedJob, TrackingStore } from "../src/dedupe/tracking.js";
import { geminiWebhooks, type AnyGeminiEvent, type WebhookError } from "../src/index.js";
import { sampleEvent, signDelivery } from "../src/testing/index.js";
import { startFakeGeminiApi, type FakeGeminiApi } from "./support/fake-gemini-api.js";
import { SECRET } from "./support/helpers.js";

const API_KEY = `AIzaFAKE-${Math.random().toString(36).slice(2)}-tracking`;
const HOUR = 3600 * 1000;

/** A user-written store: claims only, no tracking, no ttlMs. */
function plainStore(): DedupeStore {
  const done = new Set<string>();
  return {
    claim: (id): ClaimResult => (done.has(id) ? "done" : "claimed"),
    complete: (id) => void done.add(id),
    release: () => {},
  };
}

describe("webhooks.track(): refused loudly when it could not keep its promise", () => {
  it("without a store, with a store that cannot track, without oncePerCompletion, or for a name that is no job", async () => {
    await assert.rejects(
      geminiWebhooks({ secret: SECRET, dedupe: false, oncePerCompletion: true }).track("interactions/a"),
      /no dedupe store \(dedupe: false\).*dedupe: redisStore/,
    );
    await assert.rejects(
      geminiWebhooks({ secret: SECRET, dedupe: plainStore(), oncePerCompletion: true }).track("interactions/a"),
      /cannot keep tracked jobs.*Use memoryStore, redisStore or postgresStore, or give your store the TrackingStore methods/,
    );
    await assert.rejects(
      geminiWebhooks({ secret: SECRET }).track("interactions/a"),
      /tracking needs oncePerCompletion: true/,
    );
    const webhooks = geminiWebhooks({ secret: SECRET, oncePerCompletion: true });
    for (const name of [
      "abc",
      "batches/123",
      "interactions/",
      "interactions/a/b",
      "models/m/operations/",
      "x".repeat(300),
    ])
      await assert.rejects(webhooks.track(name), /expected "interactions\/<id>".*"models\/<model>\/operations\/<id>"/);
    await assert.rejects(
      webhooks.track("interactions/a", { expectBy: new Date(Number.NaN) }),
      /expectBy must be a valid Date/,
    );
  });

  it("a memory store refuses one more tracked job than maxTracked, rather than dropping one silently", async () => {
    const store = memoryStore({ maxTracked: 2 });
    const webhooks = geminiWebhooks({ secret: SECRET, dedupe: store, oncePerCompletion: true });
    await webhooks.track("interactions/one");
    await webhooks.track("interactions/two");
    await webhooks.track("interactions/two", { expectBy: new Date() }); // the same job again: replaced, not added
    await assert.rejects(webhooks.track("interactions/three"), (error: Error) => {
      assert.ok(error instanceof RangeError);
      assert.match(error.message, /2 jobs are tracked already \(option maxTracked\)\. Raise maxTracked/);
      return true;
    });
    assert.deepEqual(
      store.tracked().map((job) => job.name),
      ["interactions/one", "interactions/two"],
    );
    assert.throws(() => memoryStore({ maxTracked: 0 }), /maxTracked/);
  });
});

describe("a handled completion whose tracking cannot be dropped", () => {
  it("is still answered 200 (the handlers ran); the failure is reported to onError", async () => {
    const memory = memoryStore();
    const store: DedupeStore & TrackingStore = {
      claim: (id) => memory.claim(id),
      complete: (id) => memory.complete(id),
      release: (id) => memory.release(id),
      track: (key, job) => memory.track(key, job),
      untrack: () => Promise.reject(new Error("the store is down")),
      tracked: () => memory.tracked(),
    };
    const errors: WebhookError[] = [];
    let ran = 0;
    const webhooks = geminiWebhooks({ secret: SECRET, dedupe: store, oncePerCompletion: true })
      .on("interaction.completed", () => void ran++)
      .onError((error) => errors.push(error));
    await webhooks.track("interactions/i1");
    const event = sampleEvent("interaction.completed", { data: { id: "interactions/i1" } }) as AnyGeminiEvent;
    const { headers, body } = signDelivery(event, { secret: SECRET, id: "msg_untrack_fails" });
    const response = await webhooks.fetch(new Request("http://receiver.test/", { method: "POST", headers, body }));
    assert.equal(response.status, 200);
    assert.equal(ran, 1);
    assert.deepEqual(
      errors.map((error) => [error.code, error.detail]),
      [["store_unavailable", "could not stop tracking the job"]],
    );
    // Still tracked: the next catch-up finds the completion handled (duplicate) and drops it then.
    assert.equal(memory.tracked().length, 1);
  });
});

describe("catchUp(): refusals and store failures", () => {
  let api: FakeGeminiApi;
  let client: GoogleGenAI;
  before(async () => {
    api = await startFakeGeminiApi({ apiKey: API_KEY });
    client = new GoogleGenAI({ vertexai: false, apiKey: API_KEY, httpOptions: { baseUrl: api.url } });
  });
  after(() => api.close());

  it("refuses a receiver without a dedupe store, and assumes 25 h for a store that declares no ttlMs", async () => {
    const asked = api.requests.length;
    await assert.rejects(
      catchUp(geminiWebhooks({ secret: SECRET, dedupe: false }), { client, secret: SECRET, since: "1h" }),
      /no dedupe store \(dedupe: false\), so every completion caught up would run its handlers again/,
    );
    const plain = geminiWebhooks({ secret: SECRET, dedupe: plainStore(), oncePerCompletion: true });
    await assert.rejects(
      catchUp(plain, { client, secret: SECRET, since: "26h" }),
      /it declares no ttlMs, so 25h is assumed/,
    );
    assert.equal(api.requests.length, asked);
    assert.equal((await catchUp(plain, { client, secret: SECRET, since: "25h" })).complete, true);
    // A store that declares a longer memory allows a longer window.
    const week = geminiWebhooks({ secret: SECRET, dedupe: { ...plainStore(), ttlMs: 8 * 24 * HOUR } });
    assert.equal((await catchUp(week, { client, secret: SECRET, since: "7d" })).complete, true);
  });

  it("a store failing to list tracked jobs makes the report incomplete; one failing to drop a settled job says it is still tracked", async () => {
    const memory = memoryStore();
    const failing = { list: false, untrack: false };
    const store: DedupeStore & TrackingStore = {
      claim: (id) => memory.claim(id),
      complete: (id) => memory.complete(id),
      release: (id) => memory.release(id),
      track: (key, job) => memory.track(key, job),
      untrack: async (key) => {
        if (failing.untrack) throw new Error("the store is down");
        memory.untrack(key);
      },
      tracked: async (): Promise<TrackedJob[]> => {
        if (failing.list) throw new Error("the store is down");
        return memory.tracked();
      },
    };
    const webhooks = geminiWebhooks({ secret: SECRET, dedupe: store, oncePerCompletion: true });
    await webhooks.track("interactions/settled1");
    api.jobs.interactions.set("settled1", { id: "settled1", status: "incomplete" });

    failing.list = true;
    const unread = await catchUp(webhooks, { client, secret: SECRET, since: "24h" });
    assert.equal(unread.complete, false);
    assert.equal(unread.problem, "reading the tracked jobs from the dedupe store failed");
    assert.match(String((unread.cause as Error).message), /the store is down/);

    failing.list = false;
    failing.untrack = true;
    const kept = await catchUp(webhooks, { client, secret: SECRET, since: "24h" });
    assert.equal(kept.complete, true, kept.problem);
    assert.deepEqual(
      kept.items.map((item) => [item.resource, item.outcome, item.detail]),
      [["interactions/settled1", "ended-without-event", "status incomplete; still tracked: the store is down"]],
    );
    assert.equal(memory.tracked().length, 1);

    failing.untrack = false;
    const dropped = await catchUp(webhooks, { client, secret: SECRET, since: "24h" });
    assert.deepEqual(
      dropped.items.map((item) => item.outcome),
      ["ended-without-event"],
    );
    assert.deepEqual(memory.tracked(), []);
  });
});

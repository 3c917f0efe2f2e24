// catchUp() and checkEndpoints() through the real @google/genai SDK against a local fake of the Gemini REST API
// (its base URL given to the SDK as GOOGLE_GEMINI_BASE_URL would be): each completion runs the handlers once,
// whichever way it arrives (Gemini's delivery, catch-up, Gemini's late retry under a new webhook-id), with the
// memory, Redis and Postgres dedupe stores.
import assert from "node:assert/strict";
import { after, before, beforeEach, it } from "node:test";
import { GoogleGenAI } from "@google/genai";
import type { Redis } from "ioredis";
import { catchUp, checkEndpoints, type EndpointCheckEvent, type EndpointHealthError } from "../src/catch-up.js";
import type { DeliveryContext } from "../src/context.js";
import { memoryStore } from "../src/dedupe/memory.js";
import { postgresStore } from "../src/dedupe/postgres.js";
import { redisStore } from "../src/dedupe/redis.js";
import type { DedupeStore } from "../src/dedupe/store.js";
import type { TrackingStore } from "../src/dedupe/tracking.js";
import { geminiWebhooks, type AnyGeminiEvent } from "../src/index.js";
import { sampleEvent, signDelivery } from "../src/testing/index.js";
import { startFakeGeminiApi, videoOperation, type FakeGeminiApi } from "./support/fake-gemini-api.js";
import { SECRET } from "./support/helpers.js";
import { freshName, pool as postgresPool, POSTGRES } from "./support/postgres-helpers.js";
import { deleteKeysUnder, freshPrefix, ioredisClient, REDIS } from "./support/redis-helpers.js";
import { describeNeeding, type Service } from "./support/services.js";

const API_KEY = `AIzaFAKE-${Math.random().toString(36).slice(2)}-catch-up`;
const HOUR = 3600 * 1000;

interface StoreKind {
  name: string;
  needs: Service;
  setUp(): Promise<void>;
  tearDown(): Promise<void>;
  /** A fresh store, and `again()`: another instance on the same data (another process, a restart). */
  create(options?: { ttlMs?: number }): { store: DedupeStore & TrackingStore; again(): DedupeStore & TrackingStore };
}

let redis: Redis | undefined;
const redisPrefixes: string[] = [];
let postgres: ReturnType<typeof postgresPool> | undefined;
const postgresTables: string[] = [];

const kinds: StoreKind[] = [
  {
    name: "memoryStore()",
    needs: { name: "nothing", missing: false },
    setUp: async () => {},
    tearDown: async () => {},
    // One process's memory: a second receiver in the same process shares the store object itself.
    create: (options) => {
      const store = memoryStore(options);
      return { store, again: () => store };
    },
  },
  {
    name: "redisStore() against a real Redis",
    needs: REDIS,
    setUp: async () => {
      redis = ioredisClient();
    },
    tearDown: async () => {
      for (const prefix of redisPrefixes) await deleteKeysUnder(redis!, prefix);
      await redis?.quit();
    },
    create: (options) => {
      const prefix = freshPrefix("catchup");
      redisPrefixes.push(prefix);
      const make = () => redisStore({ sendCommand: (...args) => redis!.call(...args), prefix, ...options });
      return { store: make(), again: make };
    },
  },
  {
    name: "postgresStore() against a real PostgreSQL",
    needs: POSTGRES,
    setUp: async () => {
      postgres = postgresPool();
    },
    tearDown: async () => {
      for (const table of postgresTables) {
        await postgres!.query(`DROP TABLE IF EXISTS "${table}"`);
        await postgres!.query(`DROP TABLE IF EXISTS "${table}_tracked"`);
      }
      await postgres?.end();
    },
    create: (options) => {
      const table = freshName("catchup");
      postgresTables.push(table);
      const make = () => postgresStore({ query: (text, values) => postgres!.query(text, values), table, ...options });
      return { store: make(), again: make };
    },
  },
];

function endedBatch(id: string, state: string, endedHoursAgo: number) {
  const end = new Date(Date.now() - endedHoursAgo * HOUR).toISOString();
  return {
    name: `batches/${id}`,
    metadata: { state, createTime: end, updateTime: end, endTime: end, output: { responsesFile: `files/${id}-out` } },
  };
}

for (const kind of kinds) {
  describeNeeding(kind.needs, `catch-up, exactly once per completion: ${kind.name}`, () => {
    let api: FakeGeminiApi;
    let client: GoogleGenAI;
    let handled: Array<{ event: AnyGeminiEvent; ctx: DeliveryContext }>;
    let failHandlers: boolean;
    let webhooks: ReturnType<typeof receiver>;
    let store: DedupeStore & TrackingStore;
    let sameStoreAgain: () => DedupeStore & TrackingStore;

    function receiver(dedupe: DedupeStore) {
      const hooks = geminiWebhooks({ secret: SECRET, dedupe, oncePerCompletion: true });
      const record = (event: AnyGeminiEvent, ctx: DeliveryContext) => {
        if (failHandlers) throw new Error("the receiver is down");
        handled.push({ event, ctx });
      };
      hooks.on("batch.succeeded", record);
      hooks.on("batch.failed", record);
      hooks.on("interaction.completed", record);
      hooks.on("video.generated", record);
      return hooks;
    }

    async function realDelivery(id: string, event: AnyGeminiEvent): Promise<{ status: number; body: string }> {
      const { headers, body } = signDelivery(event, { secret: SECRET, id });
      const response = await webhooks.fetch(new Request("http://receiver.test/", { method: "POST", headers, body }));
      return { status: response.status, body: await response.text() };
    }

    before(async () => {
      await kind.setUp();
      api = await startFakeGeminiApi({ apiKey: API_KEY });
      client = new GoogleGenAI({ vertexai: false, apiKey: API_KEY, httpOptions: { baseUrl: api.url } });
    });
    after(async () => {
      await api.close();
      await kind.tearDown();
    });
    beforeEach(() => {
      handled = [];
      failHandlers = false;
      api.jobs.batches = [];
      api.jobs.interactions.clear();
      api.jobs.failBatchPagesFrom = undefined;
      api.jobs.videoOperations.clear();
      // Remembers 72 h, so the 48 h windows below are within what it remembers.
      ({ store, again: sameStoreAgain } = kind.create({ ttlMs: 72 * HOUR }));
      webhooks = receiver(store);
    });

    const names = (jobs: Array<{ name: string }>) => jobs.map((job) => job.name).sort();
    const lookups = (path: string) => api.requests.filter((request) => request.path.endsWith(path)).length;

    it("a completion Gemini delivered is not handled again by catch-up", async () => {
      api.jobs.batches.push(endedBatch("1", "BATCH_STATE_SUCCEEDED", 2));
      const delivered = await realDelivery(
        "msg_real_1",
        sampleEvent("batch.succeeded", { data: { id: "batches/1" } }) as AnyGeminiEvent,
      );
      assert.equal(delivered.status, 200);
      assert.equal(handled.length, 1);
      assert.equal(handled[0]!.ctx.source, "delivery");

      const report = await catchUp(webhooks, { client, secret: SECRET, since: "48h" });
      assert.equal(report.complete, true, report.problem);
      assert.deepEqual(
        report.items.map((item) => [item.resource, item.type, item.outcome]),
        [["batches/1", "batch.succeeded", "already-handled"]],
      );
      assert.equal(handled.length, 1);
    });

    it("a completion caught up is not handled again when Gemini's late delivery (another webhook-id) arrives, nor by a second catch-up", async () => {
      api.jobs.batches.push(endedBatch("2", "BATCH_STATE_SUCCEEDED", 30), endedBatch("3", "BATCH_STATE_FAILED", 5));
      api.jobs.batches.push(endedBatch("old", "BATCH_STATE_SUCCEEDED", 72)); // outside the window
      api.jobs.batches.push({ name: "batches/running", metadata: { state: "BATCH_STATE_RUNNING" } });

      const first = await catchUp(webhooks, { client, secret: SECRET, since: "48h" });
      assert.equal(first.complete, true, first.problem);
      assert.deepEqual(
        first.items.map((item) => [item.resource, item.type, item.outcome]),
        [
          ["batches/2", "batch.succeeded", "delivered"],
          ["batches/3", "batch.failed", "delivered"],
        ],
      );
      assert.deepEqual(
        handled.map(({ event, ctx }) => [event.type, (event.data as { id: string }).id, ctx.source]),
        [
          ["batch.succeeded", "batches/2", "catch-up"],
          ["batch.failed", "batches/3", "catch-up"],
        ],
      );
      assert.equal((handled[0]!.event.data as { output_file_uri?: string }).output_file_uri, "files/2-out");

      const late = await realDelivery(
        "msg_late_2",
        sampleEvent("batch.succeeded", { data: { id: "batches/2" } }) as AnyGeminiEvent,
      );
      assert.deepEqual(late, { status: 200, body: '{"status":"duplicate"}' });

      const second = await catchUp(webhooks, { client, secret: SECRET, since: "48h" });
      assert.equal(second.complete, true, second.problem);
      assert.deepEqual(
        second.items.map((item) => item.outcome),
        ["already-handled", "already-handled"],
      );
      assert.equal(handled.length, 2);
    });

    it("a tracked interaction that completed gets its event; one that ended in a no-webhook status is reported", async () => {
      api.jobs.interactions.set("done1", { id: "done1", status: "completed", updated: new Date().toISOString() });
      api.jobs.interactions.set("stuck1", { id: "stuck1", status: "budget_exceeded" });
      api.jobs.interactions.set("busy1", { id: "busy1", status: "in_progress" });
      const report = await catchUp(webhooks, {
        client,
        secret: SECRET,
        since: "48h",
        track: ["interactions/done1", "stuck1", "busy1", "missing1"],
      });
      assert.deepEqual(
        report.items.map((item) => [item.resource, item.outcome]),
        [
          ["interactions/done1", "delivered"],
          ["interactions/stuck1", "ended-without-event"],
          ["interactions/busy1", "pending"],
          ["interactions/missing1", "lookup-failed"],
        ],
      );
      assert.equal(report.complete, false);
      assert.deepEqual(
        handled.map(({ event, ctx }) => [event.type, (event.data as { id: string }).id, ctx.source]),
        [["interaction.completed", "interactions/done1", "catch-up"]],
      );
    });

    it("a page that fails halfway and a receiver that answers 5xx are reported, and a rerun finishes the job", async () => {
      api.jobs.batchPageSize = 2;
      for (const id of ["p1", "p2", "p3"]) api.jobs.batches.push(endedBatch(id, "BATCH_STATE_SUCCEEDED", 1));
      api.jobs.failBatchPagesFrom = 1;
      failHandlers = true;

      const broken = await catchUp(webhooks, { client, secret: SECRET, since: "48h" });
      assert.equal(broken.complete, false);
      assert.equal(broken.problem, "listing batches failed");
      assert.deepEqual(
        broken.items.map((item) => [item.resource, item.outcome, item.detail]),
        [
          ["batches/p1", "failed", "the receiver answered 500 handler_failed"],
          ["batches/p2", "failed", "the receiver answered 500 handler_failed"],
        ],
      );
      assert.equal(handled.length, 0);

      api.jobs.failBatchPagesFrom = undefined;
      failHandlers = false;
      const rerun = await catchUp(webhooks, { client, secret: SECRET, since: "48h" });
      assert.equal(rerun.complete, true, rerun.problem);
      assert.deepEqual(
        rerun.items.map((item) => item.outcome),
        ["delivered", "delivered", "delivered"],
      );
      assert.equal(handled.length, 3);
    });

    it("a job tracked with webhooks.track() is kept in the store: another receiver on it catches it up once, then stops tracking it", async () => {
      await webhooks.track("interactions/kept1");
      await webhooks.track("interactions/kept2", { expectBy: new Date(Date.now() - HOUR) });
      api.jobs.interactions.set("kept1", { id: "kept1", status: "completed", updated: new Date().toISOString() });
      api.jobs.interactions.set("kept2", { id: "kept2", status: "cancelled" });

      // Another instance, or this one after a restart: only the store is shared.
      const restarted = receiver(sameStoreAgain());
      assert.deepEqual(names(await sameStoreAgain().tracked()), ["interactions/kept1", "interactions/kept2"]);
      const report = await catchUp(restarted, { client, secret: SECRET, since: "24h" });
      assert.equal(report.complete, true, report.problem);
      assert.deepEqual(
        report.items.map((item) => [item.resource, item.type, item.outcome]),
        [
          ["interactions/kept1", "interaction.completed", "delivered"],
          ["interactions/kept2", "interaction.cancelled", "delivered"],
        ],
      );
      assert.deepEqual(
        handled.map(({ event, ctx }) => [event.type, (event.data as { id: string }).id, ctx.source]),
        [["interaction.completed", "interactions/kept1", "catch-up"]], // no handler for interaction.cancelled
      );
      assert.deepEqual(await store.tracked(), []);

      const again = await catchUp(restarted, { client, secret: SECRET, since: "24h" });
      assert.deepEqual(again.items, []);
      assert.equal(handled.length, 1);
    });

    it("a real delivery of a tracked job's completion stops its tracking, so catch-up never looks it up", async () => {
      await webhooks.track("interactions/real1");
      await webhooks.track("models/veo-3.0-generate-001/operations/realvideo1");
      assert.equal((await store.tracked()).length, 2);
      const event = sampleEvent("interaction.completed", { data: { id: "interactions/real1" } }) as AnyGeminiEvent;
      assert.equal((await realDelivery("msg_real_tracked_1", event)).status, 200);
      // A real video delivery may name the operation by its id alone: the same job.
      const video = sampleEvent("video.generated", { data: { id: "realvideo1" } }) as AnyGeminiEvent;
      assert.equal((await realDelivery("msg_real_tracked_2", video)).status, 200);
      assert.deepEqual(await store.tracked(), []);

      const report = await catchUp(webhooks, { client, secret: SECRET, since: "24h" });
      assert.deepEqual(report.items, []);
      assert.equal(lookups("/interactions/real1") + lookups("/operations/realvideo1"), 0);
      assert.equal(handled.length, 2);
    });

    it("a tracked job not yet due is not looked up; one that ended without a webhook is reported and dropped; a running one stays", async () => {
      const later = new Date(Date.now() + HOUR);
      await webhooks.track("interactions/later1", { expectBy: later });
      await webhooks.track("interactions/budget1");
      await webhooks.track("interactions/running1");
      api.jobs.interactions.set("later1", { id: "later1", status: "completed" });
      api.jobs.interactions.set("budget1", { id: "budget1", status: "budget_exceeded" });
      api.jobs.interactions.set("running1", { id: "running1", status: "in_progress" });

      const report = await catchUp(webhooks, { client, secret: SECRET, since: "24h" });
      assert.equal(report.complete, true, report.problem);
      assert.deepEqual(report.items.map((item) => [item.resource, item.outcome, item.detail]).sort(), [
        ["interactions/budget1", "ended-without-event", "status budget_exceeded"],
        ["interactions/later1", "pending", `not due before ${later.toISOString()}`],
        ["interactions/running1", "pending", "status in_progress"],
      ]);
      assert.equal(lookups("/interactions/later1"), 0);
      assert.deepEqual(names(await store.tracked()), ["interactions/later1", "interactions/running1"]);
      assert.equal(handled.length, 0);

      // Named in `track`, a job is looked up whether due or not (and, settled, dropped from the store too).
      const named = await catchUp(webhooks, { client, secret: SECRET, since: "24h", track: ["interactions/later1"] });
      assert.deepEqual(
        named.items.map((item) => [item.resource, item.outcome]),
        [
          ["interactions/later1", "delivered"],
          ["interactions/running1", "pending"],
        ],
      );
      assert.deepEqual(names(await store.tracked()), ["interactions/running1"]);
    });

    it("a tracked video operation: done becomes video.generated (once), failed and filtered are reported, running is pending", async () => {
      const model = "models/veo-3.0-generate-001/operations";
      api.jobs.videoOperations.set(`${model}/vdone`, videoOperation(`${model}/vdone`, "done", "vfile1"));
      api.jobs.videoOperations.set(`${model}/vfailed`, videoOperation(`${model}/vfailed`, "failed"));
      api.jobs.videoOperations.set(`${model}/vfiltered`, videoOperation(`${model}/vfiltered`, "filtered"));
      api.jobs.videoOperations.set(`${model}/vrunning`, videoOperation(`${model}/vrunning`, "running"));
      for (const id of ["vdone", "vfailed", "vfiltered", "vrunning"]) await webhooks.track(`${model}/${id}`);

      const report = await catchUp(webhooks, { client, secret: SECRET, since: "24h" });
      assert.equal(report.complete, true, report.problem);
      assert.deepEqual(report.items.map((item) => [item.resource, item.type, item.outcome, item.detail]).sort(), [
        [`${model}/vdone`, "video.generated", "delivered", undefined],
        [`${model}/vfailed`, undefined, "ended-without-event", "failed 3: The prompt was refused."],
        [`${model}/vfiltered`, undefined, "ended-without-event", "done without a video (1 filtered)"],
        [`${model}/vrunning`, undefined, "pending", "not done"],
      ]);
      assert.deepEqual(
        handled.map(({ event, ctx }) => [event.type, event.data, ctx.source]),
        [
          [
            "video.generated",
            {
              id: `${model}/vdone`,
              output_file_uri: "https://generativelanguage.googleapis.com/v1beta/files/vfile1:download?alt=media",
              file_name: "files/vfile1",
            },
            "catch-up",
          ],
        ],
      );
      assert.deepEqual(names(await store.tracked()), [`${model}/vrunning`]);

      // Gemini's late delivery of the same video, under its own webhook-id and naming the operation by its id alone.
      const late = sampleEvent("video.generated", { data: { id: "vdone" } }) as AnyGeminiEvent;
      assert.deepEqual(await realDelivery("msg_late_video", late), { status: 200, body: '{"status":"duplicate"}' });
      assert.equal(handled.length, 1);
    });

    it("refuses a window reaching back further than the store remembers, before asking the API anything", async () => {
      const { store: dayStore } = kind.create(); // the default ttlMs, 25 h
      const dayReceiver = receiver(dayStore);
      const asked = api.requests.length;
      await assert.rejects(catchUp(dayReceiver, { client, secret: SECRET, since: "48h" }), (error: Error) => {
        assert.ok(error instanceof RangeError);
        assert.match(error.message, /since reaches back 48h, but the receiver's dedupe store remembers/);
        assert.match(error.message, /for 25h \(its ttlMs\)/);
        assert.match(error.message, /at most "25h"/);
        return true;
      });
      await assert.rejects(
        catchUp(dayReceiver, { client, secret: SECRET, since: new Date(Date.now() - 26 * HOUR) }),
        RangeError,
      );
      assert.equal(api.requests.length, asked);
      const within = await catchUp(dayReceiver, { client, secret: SECRET, since: "25h" });
      assert.equal(within.complete, true, within.problem);
    });

    it("tracked jobs expire after the store's ttlMs, so a store never holds more than a ttlMs of them", async () => {
      const { store: shortStore } = kind.create({ ttlMs: 1_000 });
      const shortReceiver = receiver(shortStore);
      await shortReceiver.track("interactions/expiring1");
      assert.equal((await shortStore.tracked()).length, 1);
      const deadline = Date.now() + 30_000;
      while ((await shortStore.tracked()).length > 0) {
        assert.ok(Date.now() < deadline, "the tracked job never expired");
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    });
  });
}

describeNeeding({ name: "nothing", missing: false }, "checkEndpoints", () => {
  let api: FakeGeminiApi;
  let client: GoogleGenAI;
  before(async () => {
    api = await startFakeGeminiApi({ apiKey: API_KEY, pageSize: 1 });
    client = new GoogleGenAI({ vertexai: false, apiKey: API_KEY, httpOptions: { baseUrl: api.url } });
  });
  after(() => api.close());

  it("finds a disabled endpoint, and with reenable switches it on and pings it", async () => {
    api.add({ id: "ok", uri: "https://a.example/hooks", state: "enabled" });
    api.add({ id: "down", uri: "https://b.example/hooks", state: "disabled_due_to_failed_deliveries" });
    const found = await checkEndpoints(client);
    assert.equal(found.healthy, false);
    assert.deepEqual(
      found.disabled.map((endpoint) => endpoint.id),
      ["down"],
    );
    assert.equal(api.webhooks.get("down")!.state, "disabled_due_to_failed_deliveries");

    const fixed = await checkEndpoints(client, { reenable: true });
    assert.equal(fixed.healthy, true);
    assert.equal(api.webhooks.get("down")!.state, "enabled");
    assert.deepEqual(api.pings, ["down"]);
    assert.equal((await checkEndpoints(client)).healthy, true);
  });

  it("reports through onError and onLifecycle with codes of its own, and a throwing listener changes nothing", async () => {
    api.add({ id: "down2", uri: "https://c.example/hooks", state: "disabled" });
    const errors: EndpointHealthError[] = [];
    const events: EndpointCheckEvent[] = [];
    const health = await checkEndpoints(client, {
      onError: (error) => {
        errors.push(error);
        throw new Error("a broken logger");
      },
      onLifecycle: (event) => events.push(event),
    });
    assert.equal(health.healthy, false);
    assert.deepEqual(
      errors.map((error) => [error.code, error.endpoint?.id]),
      [["endpoint_disabled", "down2"]],
    );
    assert.match(errors[0]!.message, /webhook down2 is disabled/);
    assert.deepEqual(events, [
      { stage: "endpoints_checked", healthy: false, endpoints: api.webhooks.size, disabled: ["down2"], reenabled: [] },
    ]);

    const unreachable = new GoogleGenAI({ vertexai: false, apiKey: "wrong-key", httpOptions: { baseUrl: api.url } });
    const failures: EndpointHealthError[] = [];
    await assert.rejects(checkEndpoints(unreachable, { onError: (error) => failures.push(error) }));
    assert.deepEqual(
      failures.map((error) => error.code),
      ["endpoint_check_failed"],
    );
  });
});

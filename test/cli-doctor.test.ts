// `gemini-webhooks doctor` and `gemini-webhooks catch-up`, run from dist (the package's bin) with the real
// @google/genai SDK pointed at a local fake of the Gemini REST API (GOOGLE_GEMINI_BASE_URL), delivering to a
// real receiver (Express + geminiWebhooks): what they printed, their exit status, what reached the handlers.
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { after, before, beforeEach, describe, it } from "node:test";
import express from "express";
import type { DeliveryContext } from "../src/context.js";
import { geminiWebhooks, memoryStore, type AnyGeminiEvent } from "../src/index.js";
import { sampleEvent, signDelivery } from "../src/testing/index.js";
import { startFakeGeminiApi, videoOperation, type FakeGeminiApi } from "./support/fake-gemini-api.js";
import { listen, SECRET, type RunningServer } from "./support/helpers.js";
import { CLI_PATH, environmentWithout, run, type Run } from "./support/processes.js";

const baseEnv = environmentWithout((name) => /^(GEMINI_|GOOGLE_)/.test(name));
const API_KEY = `AIzaFAKE-${Math.random().toString(36).slice(2)}-never-print-me`;
const HOUR = 3600 * 1000;
const transcripts: string[] = [];

async function cli(args: string[], env: Record<string, string | undefined>): Promise<Run> {
  const result = await run(process.execPath, [CLI_PATH, ...args], { ...baseEnv, ...env });
  transcripts.push(result.stdout, result.stderr);
  return result;
}

function endedBatch(id: string, state: string, endedHoursAgo: number) {
  const end = new Date(Date.now() - endedHoursAgo * HOUR).toISOString();
  return { name: `batches/${id}`, metadata: { state, createTime: end, updateTime: end, endTime: end } };
}

describe("gemini-webhooks doctor and catch-up (through @google/genai, against a local fake API)", () => {
  let api: FakeGeminiApi;
  let env: Record<string, string>;
  let receiver: RunningServer;
  let handled: Array<{ type: string; id: string; source: DeliveryContext["source"] }>;
  let receiverDown: boolean;
  // It remembers handled ids for 72 h, which the 48 h windows below declare with --store-ttl.
  const webhooks = geminiWebhooks({
    secret: SECRET,
    dedupe: memoryStore({ ttlMs: 72 * HOUR }),
    oncePerCompletion: true,
  });

  before(async () => {
    assert.ok(existsSync(CLI_PATH), "dist/esm/cli.js is missing: run `npm run build` (npm test does)");
    api = await startFakeGeminiApi({ apiKey: API_KEY, pageSize: 1, echoKeyInErrors: true });
    env = { GEMINI_API_KEY: API_KEY, GOOGLE_GEMINI_BASE_URL: api.url, GEMINI_WEBHOOK_SECRET: SECRET };
    const record = (event: AnyGeminiEvent, ctx: DeliveryContext) => {
      if (receiverDown) throw new Error("the receiver is down");
      handled.push({ type: event.type, id: (event.data as { id: string }).id, source: ctx.source });
    };
    webhooks
      .on("batch.succeeded", record)
      .on("batch.expired", record)
      .on("interaction.completed", record)
      .on("video.generated", record);
    const app = express();
    app.post("/gemini-callback", webhooks);
    receiver = await listen(app);
  });
  beforeEach(() => {
    handled = [];
    receiverDown = false;
    api.jobs.failBatchPagesFrom = undefined;
  });
  after(async () => {
    await receiver.close();
    await api.close();
    for (const text of transcripts) assert.ok(!text.includes(API_KEY), "the API key was printed");
  });

  it("doctor lists the webhooks, exits 1 naming a disabled one; --reenable switches it on and pings it", async () => {
    api.add({ id: "wh-ok", uri: "https://a.example/hooks", state: "enabled", subscribed_events: ["batch.succeeded"] });
    api.add({ id: "wh-down", uri: "https://b.example/hooks", state: "disabled_due_to_failed_deliveries" });

    const found = await cli(["doctor"], env);
    assert.equal(found.code, 1, found.stderr);
    assert.match(found.stdout, /wh-ok {2}enabled {2}ok {2}https:\/\/a\.example\/hooks {2}\[batch\.succeeded\]/);
    assert.match(found.stdout, /wh-down {2}disabled_due_to_failed_deliveries {2}DISABLED/);
    assert.match(found.stderr, /error: Gemini delivers nothing to wh-down: .*doctor --reenable.*catch-up/);
    assert.equal(api.webhooks.get("wh-down")!.state, "disabled_due_to_failed_deliveries");

    const fixed = await cli(["doctor", "--reenable"], env);
    assert.equal(fixed.code, 0, fixed.stderr);
    assert.match(fixed.stdout, /wh-down {2}disabled_due_to_failed_deliveries {2}re-enabled and pinged/);
    assert.match(fixed.stdout, /run gemini-webhooks catch-up --since/);
    assert.equal(api.webhooks.get("wh-down")!.state, "enabled");
    assert.deepEqual(api.pings, ["wh-down"]);

    const again = await cli(["doctor"], env);
    assert.equal(again.code, 0, again.stderr);
  });

  it("doctor: a missing or refused key and an unreachable API are clear messages and a non-zero exit", async () => {
    const noKey = await cli(["doctor"], { ...env, GEMINI_API_KEY: undefined });
    assert.equal(noKey.code, 2);
    assert.match(noKey.stderr, /no Gemini API key: export GEMINI_API_KEY/);

    const refused = await cli(["doctor"], { ...env, GEMINI_API_KEY: "AIzaWRONG-key-that-is-long-enough" });
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /the Gemini API answered 400 .*Check GEMINI_API_KEY/);
    assert.ok(!refused.stderr.includes("AIzaWRONG-key-that-is-long-enough"), "the refused key was printed");

    const unreachable = await cli(["doctor"], { ...env, GOOGLE_GEMINI_BASE_URL: "http://127.0.0.1:9" });
    assert.equal(unreachable.code, 1);
    assert.match(
      unreachable.stderr,
      /^error: (could not reach|the request to) the Gemini API at http:\/\/127\.0\.0\.1:9/,
    );

    const clearText = await cli(["doctor"], { ...env, GOOGLE_GEMINI_BASE_URL: "http://api.example.com" });
    assert.equal(clearText.code, 2);
    assert.match(clearText.stderr, /would send your API key in clear text/);
  });

  it("catch-up delivers each ended batch once, through the receiver's handlers; a late real delivery and a rerun run nothing", async () => {
    api.jobs.batches = [
      endedBatch("c1", "BATCH_STATE_SUCCEEDED", 30),
      endedBatch("c2", "BATCH_STATE_EXPIRED", 3),
      endedBatch("c-old", "BATCH_STATE_SUCCEEDED", 100),
    ];
    api.jobs.interactions.set("i1", { id: "i1", status: "completed" });
    api.jobs.interactions.set("i2", { id: "i2", status: "requires_continuation" });
    const video = "models/veo-3.0-generate-001/operations/v1";
    api.jobs.videoOperations.set(video, videoOperation(video, "done", "clivideo"));
    const to = `${receiver.url}/gemini-callback`;

    const first = await cli(
      [
        "catch-up",
        "--since",
        "48h",
        "--store-ttl",
        "72h",
        "--to",
        to,
        "--track",
        "interactions/i1",
        "--track",
        "i2",
        "--track",
        video,
      ],
      env,
    );
    assert.equal(first.code, 0, first.stderr);
    assert.deepEqual(handled, [
      { type: "batch.succeeded", id: "batches/c1", source: "catch-up" },
      { type: "batch.expired", id: "batches/c2", source: "catch-up" },
      { type: "interaction.completed", id: "interactions/i1", source: "catch-up" },
      { type: "video.generated", id: video, source: "catch-up" },
    ]);
    assert.match(first.stdout, /ended-without-event +interactions\/i2 {2}\(status requires_continuation\)/);
    assert.match(first.stdout, /4 delivered, 0 already handled, 0 not delivered, 1 ended without an event/);

    const { headers, body } = signDelivery(sampleEvent("batch.succeeded", { data: { id: "batches/c1" } }), {
      secret: SECRET,
      id: "msg_gemini_late_retry",
    });
    const late = await fetch(to, { method: "POST", headers, body });
    assert.deepEqual([late.status, await late.text()], [200, '{"status":"duplicate"}']);

    const rerun = await cli(["catch-up", "--since", "48h", "--store-ttl", "72h", "--to", to], env);
    assert.equal(rerun.code, 0, rerun.stderr);
    assert.match(rerun.stdout, /0 delivered, 2 already handled/);
    assert.equal(handled.length, 4);
  });

  it("catch-up: a page failing halfway and a receiver answering 5xx exit 1 with a report; a rerun finishes", async () => {
    api.jobs.batchPageSize = 1;
    api.jobs.batches = [endedBatch("t1", "BATCH_STATE_SUCCEEDED", 1), endedBatch("t2", "BATCH_STATE_SUCCEEDED", 1)];
    api.jobs.failBatchPagesFrom = 1;
    receiverDown = true;
    const to = `${receiver.url}/gemini-callback`;

    const since = new Date(Date.now() - 2 * HOUR).toISOString(); // an ISO time works as well as a span
    const broken = await cli(["catch-up", "--since", since, "--to", to], env);
    assert.equal(broken.code, 1);
    assert.match(
      broken.stdout,
      /failed +batches\/t1 {2}batch\.succeeded {2}\(the receiver answered 500 handler_failed\)/,
    );
    assert.match(broken.stdout, /0 delivered, 0 already handled, 1 not delivered/);
    assert.match(broken.stderr, /error: listing batches failed: the Gemini API answered 503/);
    assert.match(broken.stderr, /rerun the same command/);
    assert.equal(handled.length, 0);

    api.jobs.failBatchPagesFrom = undefined;
    receiverDown = false;
    const rerun = await cli(["catch-up", "--since", since, "--to", to], env);
    assert.equal(rerun.code, 0, rerun.stderr);
    assert.deepEqual(
      handled.map((each) => each.id),
      ["batches/t1", "batches/t2"],
    );
  });

  it("catch-up: bad usage names the fix (no secret, no window, bad --since, no --to)", async () => {
    const to = `${receiver.url}/gemini-callback`;
    const noSecret = await cli(["catch-up", "--since", "24h", "--to", to], {
      ...env,
      GEMINI_WEBHOOK_SECRET: undefined,
    });
    assert.equal(noSecret.code, 2);
    assert.match(noSecret.stderr, /GEMINI_WEBHOOK_SECRET is not set/);
    const noSince = await cli(["catch-up", "--to", to], env);
    assert.equal(noSince.code, 2);
    assert.match(noSince.stderr, /--since is required/);
    const badSince = await cli(["catch-up", "--since", "yesterday", "--to", to], env);
    assert.equal(badSince.code, 2);
    assert.match(badSince.stderr, /--since: expected a span such as "48h"/);
    const noTo = await cli(["catch-up", "--since", "24h"], env);
    assert.equal(noTo.code, 2);
    assert.match(noTo.stderr, /--to <the receiver's URL> is required/);
  });

  it("catch-up refuses a --since older than the receiver's store remembers (25h, or --store-ttl) before asking the API", async () => {
    const to = `${receiver.url}/gemini-callback`;
    api.jobs.batches = [];
    const asked = api.requests.length;
    const tooLong = await cli(["catch-up", "--since", "48h", "--to", to], env);
    assert.equal(tooLong.code, 2);
    assert.match(
      tooLong.stderr,
      /--since reaches back further than the receiver's dedupe store remembers handled completions \(25h by default\)/,
    );
    assert.match(
      tooLong.stderr,
      /at most 25h\), or, if the receiver's dedupe store keeps handled ids longer \(its ttlMs\), say how long with --store-ttl/,
    );
    const isoTooLong = await cli(
      ["catch-up", "--since", new Date(Date.now() - 26 * HOUR).toISOString(), "--to", to],
      env,
    );
    assert.equal(isoTooLong.code, 2);
    const pastStoreTtl = await cli(["catch-up", "--since", "3d", "--store-ttl", "48h", "--to", to], env);
    assert.equal(pastStoreTtl.code, 2);
    assert.match(pastStoreTtl.stderr, /\(48h, --store-ttl\).*raise the store's ttlMs and --store-ttl with it/);
    const badStoreTtl = await cli(["catch-up", "--since", "24h", "--store-ttl", "a week", "--to", to], env);
    assert.equal(badStoreTtl.code, 2);
    assert.match(badStoreTtl.stderr, /--store-ttl: expected a span such as "8d"/);
    assert.equal(api.requests.length, asked);

    const within = await cli(["catch-up", "--since", "25h", "--to", to], env);
    assert.equal(within.code, 0, within.stderr);
    const declared = await cli(["catch-up", "--since", "48h", "--store-ttl", "72h", "--to", to], env);
    assert.equal(declared.code, 0, declared.stderr);
  });
});

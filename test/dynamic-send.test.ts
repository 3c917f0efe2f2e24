// The sending side of dynamic webhooks: the snippets of docs/dynamic-webhooks.md (test/fixtures/dynamic-send/
// start-jobs.ts, quoted there verbatim) run through the real @google/genai against a local fake of the REST API.
// Checked: the request bodies they produce, and that the metadata they send comes back, typed, to the handler of a
// geminiWebhooks<JobMetadata>() receiver when Gemini delivers it.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { after, before, describe, it } from "node:test";
import { geminiWebhooks } from "../src/index.js";
import { createTestKeys, sampleEvent } from "../src/testing/index.js";
import { startFakeGeminiApi, type FakeGeminiApi, type StartedJob } from "./support/fake-gemini-api.js";
import type { JobMetadata } from "./fixtures/dynamic-send/start-jobs.js";

const API_KEY = "test-key-dynamic-send";
const CALLBACK = "https://example.com/gemini-callback-dynamic";
const SNIPPET = new URL("./fixtures/dynamic-send/start-jobs.ts", import.meta.url);

/** What a receiver's handler sees when Gemini delivers `type` for `job` (user_metadata at the top level). */
async function deliver(job: StartedJob, type: "batch.succeeded" | "interaction.completed") {
  const keys = createTestKeys();
  const receiver = geminiWebhooks<JobMetadata>({ jwks: { keys: keys.jwks, audience: keys.audience } });
  let seen: JobMetadata | undefined;
  receiver.onAny(async (event) => {
    seen = event.user_metadata;
  });
  // The event a dynamic webhook delivers carries the job's id and the metadata the job was started with.
  const event = sampleEvent(type, { data: { id: job.id }, user_metadata: job.webhookConfig!.user_metadata });
  const delivery = keys.signV1a(event);
  const answer = await receiver.fetch(
    new Request("http://127.0.0.1/gemini-callback-dynamic", {
      method: "POST",
      headers: delivery.headers,
      body: delivery.body,
    }),
  );
  assert.equal(answer.status, 200, await answer.clone().text());
  return seen;
}

describe("dynamic webhooks, sending side: batches.create and interactions.create with a webhook config", () => {
  let api: FakeGeminiApi;
  let snippet: typeof import("./fixtures/dynamic-send/start-jobs.js");
  const saved = { ...process.env };

  before(async () => {
    api = await startFakeGeminiApi({ apiKey: API_KEY });
    // The snippet's client reads these at import, as an app's would.
    delete process.env.GOOGLE_API_KEY;
    process.env.GEMINI_API_KEY = API_KEY;
    process.env.GOOGLE_GEMINI_BASE_URL = api.url;
    snippet = await import("./fixtures/dynamic-send/start-jobs.js");
  });
  after(async () => {
    process.env = saved;
    await api.close();
  });

  it("batches.create sends batch.webhookConfig { uris, userMetadata } with the metadata's own keys unchanged", async () => {
    const metadata: JobMetadata = { job_group: "nightly-eval", priority: "high" };
    const start = api.requests.length;
    const batch = await snippet.startNightlyBatch(CALLBACK, metadata);
    const [request, ...more] = api.requests.slice(start);
    assert.equal(more.length, 0);
    assert.equal(request!.method, "POST");
    assert.equal(request!.path, "/v1/models/gemini-2.5-flash:batchGenerateContent");
    assert.equal(request!.apiKey, API_KEY);
    const body = request!.body as { batch: Record<string, unknown> };
    assert.deepEqual(body.batch.webhookConfig, { uris: [CALLBACK], userMetadata: metadata });
    assert.equal(batch.name, api.startedJobs.at(-1)!.id);

    const job = api.startedJobs.at(-1)!;
    assert.deepEqual(job.webhookConfig, { uris: [CALLBACK], user_metadata: metadata });
    assert.deepEqual(await deliver(job, "batch.succeeded"), metadata);
  });

  it("interactions.create sends background: true and webhook_config { uris, user_metadata }", async () => {
    const metadata: JobMetadata = { job_group: "release", priority: "low" };
    const start = api.requests.length;
    const interaction = await snippet.startBackgroundInteraction(CALLBACK, metadata);
    const [request, ...more] = api.requests.slice(start);
    assert.equal(more.length, 0);
    assert.equal(request!.method, "POST");
    assert.equal(request!.path, "/v1/interactions");
    const body = request!.body as Record<string, unknown>;
    assert.equal(body.background, true);
    assert.deepEqual(body.webhook_config, { uris: [CALLBACK], user_metadata: metadata });
    assert.equal(interaction.id, api.startedJobs.at(-1)!.id);

    const job = api.startedJobs.at(-1)!;
    assert.deepEqual(job.webhookConfig, { uris: [CALLBACK], user_metadata: metadata });
    assert.deepEqual(await deliver(job, "interaction.completed"), metadata);
  });

  it("without background: true the API refuses an interaction with webhook_config, and the SDK call rejects", async () => {
    // The fake holds the guide's rule ("Required when webhook_config is specified"); the snippet never trips it.
    const { GoogleGenAI } = await import("@google/genai");
    const ai = new GoogleGenAI({});
    await assert.rejects(
      ai.interactions.create({
        model: "gemini-2.5-flash",
        input: "x",
        webhook_config: { uris: [CALLBACK], user_metadata: { job_group: "x", priority: "low" } },
      }),
      /400|INVALID_ARGUMENT/,
    );
    assert.equal(api.requests.at(-1)!.path, "/v1/interactions", "the request reached the API");
  });

  it("docs/dynamic-webhooks.md quotes the tested snippet verbatim", () => {
    const docs = readFileSync(new URL("../docs/dynamic-webhooks.md", import.meta.url), "utf8");
    const code = readFileSync(SNIPPET, "utf8");
    assert.ok(docs.includes("```ts\n" + code + "```\n"), "copy test/fixtures/dynamic-send/start-jobs.ts into the docs");
  });
});

// test/gemini-webhooks.test.ts, run with `node --import tsx --test` (vitest: import `test` from "vitest" and close the server in afterAll)
import assert from "node:assert/strict";
import { once } from "node:events";
import type { AddressInfo } from "node:net";
import { test } from "node:test";
import express from "express";
import { geminiWebhooks } from "gemini-webhooks-express";
import { generateSecret, sampleEvent, signDelivery } from "gemini-webhooks-express/testing";

test("a finished batch is recorded once, however often Gemini delivers it", async (t) => {
  // Your app, built the way production builds it, with a test secret.
  const secret = generateSecret();
  const recorded: (string | undefined)[] = [];
  const webhooks = geminiWebhooks({ secret });
  webhooks.on("batch.succeeded", async (event) => {
    recorded.push(event.data.output_file_uri);
  });
  const app = express();
  app.use("/gemini-callback", webhooks);

  const server = app.listen(0, "127.0.0.1");
  t.after(() => server.close());
  await once(server, "listening");
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/gemini-callback`;

  // A delivery signed exactly as Gemini signs it.
  const delivery = signDelivery(sampleEvent("batch.succeeded", { data: { output_file_uri: "gs://b/out.jsonl" } }), {
    secret,
  });
  const first = await fetch(url, { method: "POST", headers: delivery.headers, body: delivery.body });
  assert.equal(first.status, 200);
  assert.deepEqual(await first.json(), { status: "received" });

  // Gemini retries with the same webhook-id: acknowledged, handler not run again.
  const retry = await fetch(url, { method: "POST", headers: delivery.headers, body: delivery.body });
  assert.deepEqual(await retry.json(), { status: "duplicate" });
  assert.deepEqual(recorded, ["gs://b/out.jsonl"]);

  // A forged delivery never reaches the handler.
  const forged = signDelivery(sampleEvent("batch.succeeded"), { secret: generateSecret() });
  const refused = await fetch(url, { method: "POST", headers: forged.headers, body: forged.body });
  assert.equal(refused.status, 401);
  const { error } = (await refused.json()) as { error: string };
  assert.equal(error, "invalid_signature");
  assert.equal(recorded.length, 1);
});

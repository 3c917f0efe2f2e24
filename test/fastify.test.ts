// What only the Fastify adapter does: it stays inside its plugin scope, and Fastify's own limits do not get in first.
import assert from "node:assert/strict";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import Fastify, { type FastifyInstance } from "fastify";
import { fastifyWebhooks } from "../src/fastify.js";
import { geminiWebhooks } from "../src/index.js";
import { SECRET, batchSucceeded, post, signedDelivery } from "./support/helpers.js";

describe("fastifyWebhooks", () => {
  let app: FastifyInstance;
  let base: string;
  const handled: string[] = [];
  const hooked: string[] = [];

  before(async () => {
    const webhooks = geminiWebhooks({ secret: SECRET }).on(
      "batch.succeeded",
      (event) => void handled.push(event.data.id),
    );
    // A Fastify body limit far below a delivery: the plugin's route must not be subject to it.
    app = Fastify({ bodyLimit: 64 });
    app.post("/elsewhere", async (request) => ({ parsed: request.body }));
    // The app's hooks reach the plugin's route like any other.
    app.addHook("onRequest", async (request) => void hooked.push(request.url));
    app.addHook("onSend", async (_request, reply) => void reply.header("x-app-hook", "ran"));
    await app.register(fastifyWebhooks(webhooks), { prefix: "/gemini-callback" });
    await app.register(fastifyWebhooks(webhooks, { path: "/hooks/gemini" }));
    await app.listen({ port: 0, host: "127.0.0.1" });
    base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  });
  after(() => app.close());

  it("leaves the app's own JSON parsing as it was (the raw parser is scoped to the plugin)", async () => {
    const answer = await post(`${base}/elsewhere`, {
      headers: { "content-type": "application/json" },
      body: '{"a":1}',
    });
    assert.deepEqual(answer.json, { parsed: { a: 1 } });
  });

  it("takes deliveries larger than Fastify's bodyLimit: the receiver's maxBodyBytes decides", async () => {
    const delivery = signedDelivery({ ...batchSucceeded("big"), pad: "x".repeat(500) });
    const answer = await post(`${base}/gemini-callback`, delivery);
    assert.deepEqual([answer.status, answer.json], [200, { status: "received" }]);
  });

  it("runs the app's onRequest and onSend hooks on the webhook route", async () => {
    const answer = await post(`${base}/gemini-callback`, signedDelivery(batchSucceeded("hooked")));
    assert.equal(answer.status, 200);
    assert.equal(answer.headers.get("x-app-hook"), "ran");
    assert.ok(hooked.includes("/gemini-callback"));
  });

  it("handles a delivery sent without a Content-Type", async () => {
    const delivery = signedDelivery(batchSucceeded("untyped"));
    delete delivery.headers["content-type"];
    assert.equal((await post(`${base}/gemini-callback`, delivery)).status, 200);
    assert.ok(handled.includes("untyped"));
  });

  it("mounts at the `path` option", async () => {
    assert.equal((await post(`${base}/hooks/gemini`, signedDelivery(batchSucceeded("at-path")))).status, 200);
    assert.ok(handled.includes("at-path"));
  });

  it("routes POST only: other methods get Fastify's 404", async () => {
    assert.equal((await fetch(`${base}/gemini-callback`)).status, 404);
  });

  it("refuses anything but a receiver, at registration", () => {
    assert.throws(() => fastifyWebhooks((() => {}) as never), /pass the receiver returned by geminiWebhooks\(\)/);
  });
});

// What only the Web adapter (webhooks.fetch) does: methods, laziness of the body read, a used body, unbound use.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { serve } from "@hono/node-server";
import { Hono } from "hono";
import { once } from "node:events";
import type { AddressInfo } from "node:net";
import { geminiWebhooks, type WebhookError } from "../src/index.js";
import { ChunkedBody, answerOf, webRequest } from "./support/contract.js";
import { SECRET, batchSucceeded, post, signedDelivery } from "./support/helpers.js";

const URL = "http://localhost:3000/api/gemini-callback";

function receiver() {
  const errors: WebhookError[] = [];
  const handled: string[] = [];
  const webhooks = geminiWebhooks({ secret: SECRET, maxBodyBytes: 1024 })
    .on("batch.succeeded", (event) => void handled.push(event.data.id))
    .onError((error) => void errors.push(error));
  return { POST: webhooks.fetch, errors, handled };
}

describe("webhooks.fetch", () => {
  it("works unbound, as a route file exports it", async () => {
    const { POST, handled } = receiver();
    const answer = await answerOf(await POST(webRequest(URL, signedDelivery(batchSucceeded("unbound")))));
    assert.deepEqual([answer.status, answer.json], [200, { status: "received" }]);
    assert.deepEqual(handled, ["unbound"]);
  });

  it("rejects with a TypeError saying what to pass when given something else (Hono's context, say)", async () => {
    const { POST } = receiver();
    await assert.rejects(
      POST({ req: {} } as never),
      (error: unknown) => error instanceof TypeError && /c\.req\.raw/.test(error.message),
    );
  });

  it("answers other methods 405 with Allow: POST, in the usual JSON shape, without reporting them", async () => {
    const { POST, errors } = receiver();
    for (const method of ["GET", "PUT", "DELETE"]) {
      const response = await POST(new Request(URL, { method }));
      assert.equal(response.status, 405);
      assert.equal(response.headers.get("allow"), "POST");
      const { json } = await answerOf(response);
      assert.equal(json.error, "method_not_allowed");
      assert.equal(typeof json.message, "string");
    }
    assert.equal(errors.length, 0);
  });

  it("never reads the body of a delivery refused on its headers, nor one declared too large", async () => {
    const { POST, errors } = receiver();
    const unsigned = new ChunkedBody(Buffer.alloc(100), 1);
    const noHeaders = await POST(webRequest(URL, { headers: { "content-type": "application/json" }, body: unsigned }));
    assert.equal(noHeaders.status, 400);
    const declared = new ChunkedBody(Buffer.alloc(100), 100);
    const { headers } = signedDelivery(batchSucceeded());
    const tooLarge = await POST(
      webRequest(URL, { headers: { ...headers, "content-length": "10000" }, body: declared }),
    );
    assert.equal(tooLarge.status, 413);
    assert.equal(unsigned.sent + declared.sent, 0, "no chunk was pulled");
    assert.deepEqual(
      errors.map((error) => error.code),
      ["missing_headers", "payload_too_large"],
    );
  });

  it("a Request whose body was already read: 500 raw_body_unavailable, never verified against a copy", async () => {
    const { POST, errors, handled } = receiver();
    const request = webRequest(URL, signedDelivery(batchSucceeded("used")));
    await request.json(); // a middleware that parsed it
    const answer = await answerOf(await POST(request));
    assert.deepEqual([answer.status, answer.json.error], [500, "raw_body_unavailable"]);
    assert.match(errors[0]!.message, /already read/);
    assert.deepEqual(handled, []);
  });

  it("a body stream that errors: 400 request_aborted", async () => {
    const { POST, errors } = receiver();
    const { headers } = signedDelivery(batchSucceeded());
    const body = new ReadableStream({ pull: (controller) => controller.error(new Error("socket hang up")) });
    const response = await POST(new Request(URL, { method: "POST", headers, body, duplex: "half" } as RequestInit));
    assert.equal(response.status, 400);
    assert.equal(response.headers.get("connection"), "close");
    assert.equal(errors[0]?.code, "request_aborted");
  });

  it("under Hono, a middleware that parsed the body first: 500 raw_body_unavailable", async () => {
    const { POST, handled } = receiver();
    const app = new Hono();
    app.use("/gemini-callback", async (c, next) => (await c.req.json(), next()));
    app.post("/gemini-callback", (c) => POST(c.req.raw));
    const server = serve({ fetch: app.fetch, port: 0, hostname: "127.0.0.1" });
    await once(server, "listening");
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/gemini-callback`;
      const answer = await post(url, signedDelivery(batchSucceeded("parsed-first")));
      assert.deepEqual([answer.status, answer.json.error], [500, "raw_body_unavailable"]);
      assert.deepEqual(handled, []);
    } finally {
      await new Promise(
        (resolve) => (server.close(resolve), "closeAllConnections" in server && server.closeAllConnections()),
      );
    }
  });
});

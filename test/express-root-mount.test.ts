// Issue 25 #12: `app.use(webhooks)` (no path) must not swallow the app's other POST routes.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { geminiWebhooks } from "../src/index.js";
import {
  EXPRESS_VERSIONS,
  SECRET,
  batchSucceeded,
  listen,
  post,
  signedDelivery,
  type RunningServer,
} from "./support/helpers.js";

for (const { name, express } of EXPRESS_VERSIONS) {
  describe(`${name}: mounted at the root with app.use(webhooks)`, () => {
    let server: RunningServer;
    const handled: string[] = [];

    before(async () => {
      const app = express();
      const webhooks = geminiWebhooks({ secret: SECRET });
      webhooks.on("batch.succeeded", (event) => void handled.push(event.data.id));
      webhooks.onError(() => {});
      app.use(webhooks);
      app.post("/api/other", (_req, res) => void res.json({ other: true }));
      server = await listen(app);
    });
    after(() => server.close());

    it("passes a POST without any webhook header on to the app's own route", async () => {
      const answer = await post(`${server.url}/api/other`, {
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ hello: "world" }),
      });
      assert.equal(answer.status, 200);
      assert.deepEqual(answer.json, { other: true });
    });

    it("still takes a signed delivery, on any path", async () => {
      const answer = await post(`${server.url}/gemini-callback`, signedDelivery(batchSucceeded("root-1")));
      assert.equal(answer.status, 200);
      assert.deepEqual(handled, ["root-1"]);
    });

    it("still rejects a POST that carries some, not all, of the webhook headers", async () => {
      const answer = await post(`${server.url}/api/other`, {
        headers: { "webhook-id": "msg_1", "content-type": "application/json" },
        body: "{}",
      });
      assert.equal(answer.status, 400);
      assert.equal(answer.json.error, "missing_headers");
    });
  });

  describe(`${name}: mounted on a path`, () => {
    let server: RunningServer;

    before(async () => {
      const app = express();
      const webhooks = geminiWebhooks({ secret: SECRET });
      webhooks.onError(() => {});
      app.use("/gemini-callback", webhooks);
      server = await listen(app);
    });
    after(() => server.close());

    it("answers a POST without the headers 400 missing_headers (a misconfigured sender is told why)", async () => {
      const answer = await post(`${server.url}/gemini-callback`, { headers: {}, body: "{}" });
      assert.equal(answer.status, 400);
      assert.equal(answer.json.error, "missing_headers");
    });
  });
}

describe("plain node:http (no router)", () => {
  let server: RunningServer;

  before(async () => {
    const webhooks = geminiWebhooks({ secret: SECRET });
    webhooks.onError(() => {});
    server = await listen((req, res) => webhooks(req, res, () => res.writeHead(404).end()));
  });
  after(() => server.close());

  it("treats every POST as a delivery: no headers is 400 missing_headers, not the fallback", async () => {
    const answer = await post(server.url, { headers: {}, body: "{}" });
    assert.equal(answer.status, 400);
    assert.equal(answer.json.error, "missing_headers");
  });
});

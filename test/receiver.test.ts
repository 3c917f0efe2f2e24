// The receiver end to end: real Express (5 and 4) on loopback, deliveries signed with node:crypto.
import assert from "node:assert/strict";
import type { IncomingMessage } from "node:http";
import { after, before, describe, it } from "node:test";
import { captureRawBody, geminiWebhooks, type WebhookError } from "../src/index.js";
import {
  EXPRESS_VERSIONS,
  OTHER_SECRET,
  SECRET,
  batchSucceeded,
  freshId,
  listen,
  post,
  signedDelivery,
  type RunningServer,
} from "./support/helpers.js";
import { hmacSignature } from "./support/signer.js";

const NOW_S = 1_800_000_000;
const now = () => NOW_S * 1000;
const at = (timestamp = NOW_S) => ({ timestamp });

for (const { name, express } of EXPRESS_VERSIONS) {
  describe(`receiver on ${name}`, () => {
    let server: RunningServer;
    const calls: Array<{ type: string; webhookId: string; secretIndex?: number; data: unknown }> = [];
    const errors: WebhookError[] = [];
    let failNext = 0;
    let gate: Promise<void> | undefined;

    before(async () => {
      const app = express();
      const webhooks = geminiWebhooks({ secret: [SECRET, OTHER_SECRET], now });
      webhooks.on("batch.succeeded", (event, ctx) => {
        calls.push({ type: event.type, webhookId: ctx.webhookId, secretIndex: ctx.secretIndex, data: event.data });
      });
      webhooks.on(["batch.failed", "batch.expired"], async (event, ctx) => {
        if (gate) await gate;
        if (failNext > 0) {
          failNext--;
          throw new Error("database down: password=hunter2");
        }
        calls.push({ type: event.type, webhookId: ctx.webhookId, data: event.data });
      });
      webhooks.onError((error) => void errors.push(error));
      app.use("/gemini-callback", webhooks);
      app.get("/gemini-callback", (_req, res) => void res.send("get passes through"));
      server = await listen(app);
    });
    after(() => server.close());

    const url = () => `${server.url}/gemini-callback`;
    const lastError = () => errors[errors.length - 1]!;

    it("handles a signed delivery: 200 received, typed handler called once", async () => {
      const delivery = signedDelivery(batchSucceeded("batches/a"), at());
      const answer = await post(url(), delivery);
      assert.equal(answer.status, 200);
      assert.deepEqual(answer.json, { status: "received" });
      const call = calls.find((c) => c.webhookId === delivery.headers["webhook-id"]);
      assert.deepEqual(call?.data, { id: "batches/a", output_file_uri: "gs://my-bucket/results.jsonl" });
      assert.equal(call?.secretIndex, 0);
    });

    it("reports which secret matched during a rotation", async () => {
      const delivery = signedDelivery(batchSucceeded(), { ...at(), secret: OTHER_SECRET });
      assert.equal((await post(url(), delivery)).status, 200);
      assert.equal(calls.find((c) => c.webhookId === delivery.headers["webhook-id"])?.secretIndex, 1);
    });

    it("a done duplicate is 200 duplicate without calling handlers", async () => {
      const delivery = signedDelivery(batchSucceeded(), at());
      assert.equal((await post(url(), delivery)).status, 200);
      const before = calls.length;
      const again = await post(url(), delivery);
      assert.equal(again.status, 200);
      assert.deepEqual(again.json, { status: "duplicate" });
      assert.equal(calls.length, before);
    });

    it("a retry (same id, new timestamp, new signature) is a duplicate too", async () => {
      const id = freshId();
      assert.equal((await post(url(), signedDelivery(batchSucceeded(), { id, timestamp: NOW_S - 100 }))).status, 200);
      const retry = await post(url(), signedDelivery(batchSucceeded(), { id, timestamp: NOW_S }));
      assert.deepEqual(retry.json, { status: "duplicate" });
    });

    it("concurrent copies of one delivery run the handler once; the others get 409 + Retry-After while it runs", async () => {
      // The handler waits at a gate until every other copy has been answered, so "in flight" is certain, not timing.
      let openGate!: () => void;
      gate = new Promise<void>((resolve) => (openGate = resolve));
      const delivery = signedDelivery({ type: "batch.expired", data: { id: "b" } }, at());
      const copies = Array.from({ length: 20 }, () => post(url(), delivery));
      const settled: Awaited<ReturnType<typeof post>>[] = [];
      for (const copy of copies) void copy.then((answer) => settled.push(answer));
      while (settled.length < 19) await new Promise((resolve) => setTimeout(resolve, 5));
      for (const answer of settled) {
        assert.equal(answer.status, 409);
        assert.equal(answer.json.error, "delivery_in_progress");
        assert.equal(answer.headers.get("retry-after"), "5");
      }
      openGate();
      const answers = await Promise.all(copies);
      assert.equal(answers.filter((a) => a.status === 200 && a.json.status === "received").length, 1);
      assert.equal(calls.filter((c) => c.webhookId === delivery.headers["webhook-id"]).length, 1);
      gate = undefined;
    });

    it("a failing handler answers 500 without leaking, and Gemini's retry then runs it", async () => {
      failNext = 1;
      const delivery = signedDelivery(
        { type: "batch.failed", data: { id: "b", error_code: 13, error_message: "x" } },
        at(),
      );
      const failed = await post(url(), delivery);
      assert.equal(failed.status, 500);
      assert.equal(failed.json.error, "handler_failed");
      assert.doesNotMatch(JSON.stringify(failed.json), /hunter2|database/);
      assert.equal(lastError().code, "handler_failed");
      assert.equal(lastError().webhookId, delivery.headers["webhook-id"]);
      assert.equal(lastError().eventType, "batch.failed");
      assert.match(String((lastError().cause as Error).message), /database down/);

      const retry = await post(url(), delivery);
      assert.equal(retry.status, 200);
      assert.deepEqual(retry.json, { status: "received" });
      assert.equal(calls.filter((c) => c.webhookId === delivery.headers["webhook-id"]).length, 1);
    });

    it("an unknown type with no handler is acknowledged (200 unhandled)", async () => {
      const answer = await post(url(), signedDelivery({ type: "some.future_type", data: { x: 1 } }, at()));
      assert.equal(answer.status, 200);
      assert.deepEqual(answer.json, { status: "unhandled" });
    });

    it("tolerates extra fields and unknown versions", async () => {
      const event = { ...batchSucceeded(), version: "v9", extra: { nested: true } };
      const answer = await post(url(), signedDelivery(event, at()));
      assert.equal(answer.status, 200);
    });

    it("accepts signatures separated by ', ' (Node's join of repeated headers)", async () => {
      const delivery = signedDelivery(batchSucceeded(), at());
      const valid = delivery.headers["webhook-signature"]!;
      delivery.headers["webhook-signature"] = `v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc=, ${valid}`;
      assert.equal((await post(url(), delivery)).status, 200);
    });

    it("passes non-POST requests on to the next route", async () => {
      const response = await fetch(url());
      assert.equal(response.status, 200);
      assert.equal(await response.text(), "get passes through");
    });

    describe("the answers table", () => {
      const expectError = async (
        delivery: { headers: Record<string, string>; body: string },
        status: number,
        code: string,
      ) => {
        const before = calls.length;
        const answer = await post(url(), delivery);
        assert.equal(answer.status, status, JSON.stringify(answer.json));
        assert.equal(answer.json.error, code);
        assert.equal(typeof answer.json.message, "string");
        assert.doesNotMatch(answer.json.message, /whsec_|MfKQ9r8/);
        assert.equal(calls.length, before, "no handler runs");
        assert.equal(lastError().code, code);
        assert.equal(lastError().status, status);
        return answer;
      };

      it("400 missing_headers for each missing header", async () => {
        for (const header of ["webhook-id", "webhook-timestamp", "webhook-signature"]) {
          const delivery = signedDelivery(batchSucceeded(), at());
          delete delivery.headers[header];
          await expectError(delivery, 400, "missing_headers");
        }
      });

      it("400 invalid_headers for a non-numeric timestamp or a garbled signature header", async () => {
        const delivery = signedDelivery(batchSucceeded(), at());
        await expectError(
          { ...delivery, headers: { ...delivery.headers, "webhook-timestamp": "12e9" } },
          400,
          "invalid_headers",
        );
        await expectError(
          { ...delivery, headers: { ...delivery.headers, "webhook-timestamp": "-5" } },
          400,
          "invalid_headers",
        );
        await expectError(
          { ...delivery, headers: { ...delivery.headers, "webhook-signature": "garbage" } },
          400,
          "invalid_headers",
        );
        await expectError(
          { ...delivery, headers: { ...delivery.headers, "webhook-id": "x".repeat(300) } },
          400,
          "invalid_headers",
        );
      });

      it("401 invalid_signature for a wrong secret, a tampered body, or only unknown versions", async () => {
        const secretOnlyWeKnow = "whsec_" + Buffer.alloc(32, 7).toString("base64");
        await expectError(
          signedDelivery(batchSucceeded(), { ...at(), secret: secretOnlyWeKnow }),
          401,
          "invalid_signature",
        );
        const delivery = signedDelivery(batchSucceeded(), at());
        await expectError({ ...delivery, body: delivery.body.replace("123", "124") }, 401, "invalid_signature");
        const v2 = delivery.headers["webhook-signature"]!.replace("v1,", "v2,");
        await expectError(
          { ...delivery, headers: { ...delivery.headers, "webhook-signature": v2 } },
          401,
          "invalid_signature",
        );
      });

      it("401 timestamp_too_old / timestamp_too_new outside ±300 s, accepted at the edges", async () => {
        await expectError(signedDelivery(batchSucceeded(), at(NOW_S - 301)), 401, "timestamp_too_old");
        await expectError(signedDelivery(batchSucceeded(), at(NOW_S + 301)), 401, "timestamp_too_new");
        assert.equal((await post(url(), signedDelivery(batchSucceeded(), at(NOW_S - 300)))).status, 200);
        assert.equal((await post(url(), signedDelivery(batchSucceeded(), at(NOW_S + 300)))).status, 200);
      });

      it("400 invalid_payload for a signed body that is not a JSON object with a string type", async () => {
        for (const body of [
          "not json",
          "[1,2]",
          "null",
          '"batch.succeeded"',
          '{"type":42}',
          '{"data":{}}',
          '{"type":""}',
        ]) {
          await expectError(signedDelivery(body, at()), 400, "invalid_payload");
        }
      });

      it("an invalid payload releases its claim (its retry is not a duplicate)", async () => {
        const delivery = signedDelivery("not json", at());
        await expectError(delivery, 400, "invalid_payload");
        await expectError(delivery, 400, "invalid_payload");
      });

      it("413 payload_too_large past the default 64 KiB, without calling handlers; 64 KiB exactly is handled", async () => {
        const padded = (size: number) => {
          const json = JSON.stringify({ ...batchSucceeded(), pad: "" });
          return json.replace('"pad":""', `"pad":"${"x".repeat(size - json.length)}"`);
        };
        const answer = await expectError(signedDelivery(padded(64 * 1024 + 1), at()), 413, "payload_too_large");
        assert.equal(answer.headers.get("connection"), "close");
        const atLimit = padded(64 * 1024);
        assert.equal(Buffer.byteLength(atLimit), 64 * 1024);
        assert.deepEqual((await post(url(), signedDelivery(atLimit, at()))).json, { status: "received" });
      });

      it("a forged delivery never claims its id: the genuine one still runs afterwards", async () => {
        const genuine = signedDelivery(batchSucceeded(), at());
        await expectError(
          { ...genuine, headers: { ...genuine.headers, "webhook-signature": "v1,AAAA" } },
          401,
          "invalid_signature",
        );
        const answer = await post(url(), genuine);
        assert.deepEqual(answer.json, { status: "received" });
      });
    });
  });

  describe(`raw body sources on ${name}`, () => {
    let server: RunningServer;
    const handled: string[] = [];
    const errors: WebhookError[] = [];

    before(async () => {
      const app = express();
      const make = () =>
        geminiWebhooks({ secret: SECRET, now })
          .on("batch.succeeded", (event) => void handled.push(event.data.id))
          .onError((error) => void errors.push(error));
      app.use("/json-with-capture", express.json({ verify: captureRawBody }), make());
      app.use("/json-without-capture", express.json(), make());
      // A middleware that reads the stream to its end and keeps nothing (no body, no _body flag).
      const drain = (req: IncomingMessage, _res: unknown, next: () => void) =>
        req.on("data", () => {}).on("end", () => next());
      app.use("/drained", drain, make());
      app.use("/raw", express.raw({ type: "*/*" }), make());
      app.use("/text", express.text({ type: "*/*" }), make());
      app.use("/json-other-type", express.json(), make()); // json() skips a non-JSON content type: we read the stream
      app.post("/route/:name", make());
      app.use("/deep/prefix/v1/hooks", make());
      server = await listen(app);
    });
    after(() => server.close());

    for (const path of ["/json-with-capture", "/raw", "/text", "/route/anything", "/deep/prefix/v1/hooks"]) {
      it(`${path}: verifies the exact bytes`, async () => {
        // Whitespace that a re-serialization of req.body would lose.
        const body = `{ "type":"batch.succeeded",  "data": {"id":"${path}", "output_file_uri":"gs://b/o"} }`;
        const answer = await post(`${server.url}${path}`, signedDelivery(body, at()));
        assert.equal(answer.status, 200, JSON.stringify(answer.json));
        assert.ok(handled.includes(path));
      });
    }

    it("a non-JSON content type passes express.json() untouched and verifies", async () => {
      const delivery = signedDelivery(batchSucceeded("other-type"), at());
      delivery.headers["content-type"] = "text/plain";
      assert.equal((await post(`${server.url}/json-other-type`, delivery)).status, 200);
    });

    it("express.json() before the receiver with no raw copy: 500 raw_body_unavailable, the fix reported", async () => {
      const answer = await post(`${server.url}/json-without-capture`, signedDelivery(batchSucceeded("lost"), at()));
      assert.equal(answer.status, 500);
      assert.equal(answer.json.error, "raw_body_unavailable");
      assert.match(errors[errors.length - 1]!.message, /captureRawBody/);
      assert.ok(!handled.includes("lost"));
    });

    it("a middleware that drained the stream and kept nothing: 500 raw_body_unavailable, not a wait for a body that never comes", async () => {
      const answer = await post(`${server.url}/drained`, signedDelivery(batchSucceeded("drained"), at()));
      assert.deepEqual([answer.status, answer.json.error], [500, "raw_body_unavailable"]);
      assert.ok(!handled.includes("drained"));
    });
  });
}

describe("options are checked at creation", () => {
  const cases: Array<[string, unknown, RegExp]> = [
    ["no options", undefined, /options must be an object/],
    ["empty secret", { secret: "" }, /option "secret" is empty/],
    ["malformed secret", { secret: "whsec_not!base64" }, /not a valid signing secret/],
    ["secret with a space", { secret: "whsec_not base64" }, /contains whitespace/],
    ["short secret", { secret: "whsec_AAAA" }, /too short/],
    ["empty secret list", { secret: [] }, /non-empty array/],
    ["bad secret in a list", { secret: [SECRET, "nope"] }, /secret\[1\]/],
    ["zero tolerance", { secret: SECRET, toleranceSeconds: 0 }, /toleranceSeconds/],
    ["negative tolerance", { secret: SECRET, toleranceSeconds: -5 }, /toleranceSeconds/],
    ["bad body limit", { secret: SECRET, maxBodyBytes: Number.NaN }, /maxBodyBytes/],
    ["bad store", { secret: SECRET, dedupe: {} }, /DedupeStore/],
    ["unknown option", { secret: SECRET, tolerance: 30 }, /unknown option "tolerance"/],
  ];
  for (const [label, options, message] of cases) {
    it(`${label} → TypeError`, () => {
      assert.throws(
        () => geminiWebhooks(options as never),
        (error: unknown) => {
          assert.ok(error instanceof TypeError);
          assert.match(error.message, message);
          assert.doesNotMatch(error.message, /MfKQ9r8/);
          return true;
        },
      );
    });
  }
  it("accepts a secret without the whsec_ prefix", () => {
    assert.equal(typeof geminiWebhooks({ secret: SECRET.slice("whsec_".length) }), "function");
  });
});

describe("dedupe: false", () => {
  it("runs the handler for every copy", async () => {
    const express = EXPRESS_VERSIONS[0].express;
    const app = express();
    let runs = 0;
    app.use(geminiWebhooks({ secret: SECRET, now, dedupe: false }).onAny(() => void runs++));
    const server = await listen(app);
    try {
      const delivery = signedDelivery(batchSucceeded(), at());
      assert.equal((await post(server.url, delivery)).status, 200);
      assert.equal((await post(server.url, delivery)).status, 200);
      assert.equal(runs, 2);
    } finally {
      await server.close();
    }
  });
});

describe("independent signing", () => {
  it("helpers sign like the spec says (sanity check of the test's own signer)", () => {
    // Official vector #1, recomputed by the test helper.
    assert.equal(
      `v1,${hmacSignature("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, '{"test": 2432232314}')}`,
      "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
    );
  });
});

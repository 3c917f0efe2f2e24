// A failed v1 signature that matches a usual way of deriving the key wrongly gets a hint on the error
// onError receives; the answer stays 401 invalid_signature, nothing is accepted, and the hint never reaches
// the response. Hints are rate-limited so forged floods cannot turn them into CPU.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, describe, test } from "node:test";
import express from "express";
import { geminiWebhooks, type WebhookError } from "../src/index.js";
import { ANSWERS } from "../src/errors.js";
import { HINT_BURST, HINTS_PER_SECOND } from "../src/verify/secret-hint.js";
import { callMiddleware } from "./support/fake-http.js";
import { SECRET, listen, post, type RunningServer } from "./support/helpers.js";
import { hmacSignatureWithKey } from "./support/signer.js";

const NOW = 1_800_000_000;
const BODY = Buffer.from(
  JSON.stringify({ type: "batch.succeeded", data: { id: "batches/1", output_file_uri: "gs://b/r" } }),
);
const ENCODED = SECRET.slice("whsec_".length);

/** A v1 entry made with `key` (whatever the sender derived from the secret). */
function signWith(key: Buffer, id: string, body = BODY): string {
  return `v1,${hmacSignatureWithKey(key, id, NOW, body)}`;
}

/** A receiver on a controllable clock that records what onError receives and what handlers see. */
function receiverFor(secret: string | string[] = SECRET) {
  let nowMs = NOW * 1000;
  const receiver = geminiWebhooks({ secret, now: () => nowMs });
  const errors: WebhookError[] = [];
  let runs = 0;
  receiver.onError((error) => void errors.push(error));
  receiver.onAny(() => void runs++);
  let serial = 0;
  const send = async (signature: (id: string) => string) => {
    const id = `msg_hint_${++serial}`;
    const answer = await callMiddleware(receiver, {
      headers: [
        ["webhook-id", id],
        ["webhook-timestamp", String(NOW)],
        ["webhook-signature", signature(id)],
      ],
      body: BODY,
      mode: "bufferBody",
    });
    return { answer, error: errors.at(-1) };
  };
  return { receiver, send, errors, runs: () => runs, advance: (ms: number) => void (nowMs += ms) };
}

const MISTAKES: Array<[label: string, key: Buffer, hint: RegExp]> = [
  ["the base64 text used as the key", Buffer.from(ENCODED, "utf8"), /UTF-8 text rather than base64-decoded/],
  [
    'the whole "whsec_..." string used as the key',
    Buffer.from(SECRET, "utf8"),
    /"whsec_" prefix included, used as UTF-8 text/,
  ],
  [
    '"whsec_..." base64-decoded as a whole (Node\'s lenient decoder)',
    Buffer.from(SECRET, "base64"),
    /base64-decoded with its "whsec_" prefix still in it/,
  ],
  [
    '"whsec_..." base64-decoded as a whole (a decoder that skips "_")',
    Buffer.from(`whsec${ENCODED}`, "base64"),
    /"whsec_" prefix still in it/,
  ],
];

describe("secret hints on a failed v1 signature", () => {
  for (const [label, key, hint] of MISTAKES) {
    test(`${label}: 401 invalid_signature, nothing runs, and onError's error names the mistake`, async () => {
      const { send, runs } = receiverFor();
      const { answer, error } = await send((id) => signWith(key, id));
      assert.deepEqual(
        [answer.status, answer.json],
        [401, { error: "invalid_signature", message: ANSWERS.invalid_signature.message }],
      );
      assert.equal(runs(), 0);
      assert.equal(error?.code, "invalid_signature");
      assert.match(error?.hint ?? "(no hint)", hint);
    });
  }

  test("a receiver given its secret base64-encoded once more (e.g. a Kubernetes Secret copied undecoded) hears so", async () => {
    const doubled = Buffer.from(SECRET).toString("base64"); // still valid base64 of ≥ 16 bytes: accepted at start-up
    const { send, runs } = receiverFor(doubled);
    const { answer, error } = await send((id) => signWith(Buffer.from(ENCODED, "base64"), id)); // the sender is right
    assert.equal(answer.status, 401);
    assert.equal(runs(), 0);
    assert.match(error?.hint ?? "(no hint)", /base64-decoded twice.*decodes to "whsec_\.\.\."/);
  });

  test("with two secrets, the hint says which one", async () => {
    const other = `whsec_${randomBytes(24).toString("base64")}`;
    const { send } = receiverFor([other, SECRET]);
    const { error } = await send((id) => signWith(Buffer.from(ENCODED, "utf8"), id));
    assert.match(error?.hint ?? "(no hint)", /secret \(secret\[1\] of the list\) used as UTF-8 text/);
  });

  test("no hint for a forged signature, a stranger's secret, or a delivery that verifies", async () => {
    const { send, errors } = receiverFor();
    assert.equal((await send(() => `v1,${randomBytes(32).toString("base64")}`)).error?.hint, undefined);
    assert.equal((await send((id) => signWith(randomBytes(24), id))).error?.hint, undefined);
    // A genuine delivery: no error at all.
    const before = errors.length;
    const { answer } = await send((id) => signWith(Buffer.from(ENCODED, "base64"), id));
    assert.equal(answer.status, 200);
    assert.equal(errors.length, before);
  });

  test("rate-limited: a burst of hints, then about one per second, whatever the flood", async () => {
    const { send, advance } = receiverFor();
    const mistaken = (id: string) => signWith(Buffer.from(ENCODED, "utf8"), id);
    const hinted = async (count: number) => {
      let n = 0;
      for (let i = 0; i < count; i++) if ((await send(mistaken)).error?.hint) n++;
      return n;
    };
    assert.equal(await hinted(HINT_BURST + 20), HINT_BURST, "the burst, then none while the clock stands still");
    advance(1000 / HINTS_PER_SECOND);
    assert.equal(await hinted(10), 1, "one more after a second");
    // Every one of those was still answered 401: the limit only drops hints.
    assert.equal((await send(mistaken)).answer.status, 401);
    // Forged requests (no mistake to find) spend tokens too: that is what bounds their cost.
    advance(10_000);
    for (let i = 0; i < HINT_BURST; i++) await send(() => `v1,${randomBytes(32).toString("base64")}`);
    assert.equal(await hinted(1), 0);
  });

  describe("over HTTP: the hint never reaches the response", () => {
    let server: RunningServer;
    const errors: WebhookError[] = [];
    before(async () => {
      const receiver = geminiWebhooks({ secret: SECRET });
      receiver.onError((error) => void errors.push(error));
      const app = express();
      app.use("/hooks", receiver);
      server = await listen(app);
    });
    after(() => server.close());

    test("status, headers and body are the plain invalid_signature answer", async () => {
      const id = "msg_hint_http";
      const timestamp = Math.floor(Date.now() / 1000);
      const signature = `v1,${hmacSignatureWithKey(Buffer.from(SECRET, "utf8"), id, timestamp, BODY)}`;
      const answer = await post(`${server.url}/hooks`, {
        headers: {
          "content-type": "application/json",
          "webhook-id": id,
          "webhook-timestamp": String(timestamp),
          "webhook-signature": signature,
        },
        body: BODY,
      });
      const hint = errors.at(-1)?.hint;
      assert.ok(hint, "onError got a hint");
      assert.deepEqual(
        [answer.status, answer.json],
        [401, { error: "invalid_signature", message: ANSWERS.invalid_signature.message }],
      );
      const everything = JSON.stringify([...answer.headers]) + JSON.stringify(answer.json);
      assert.doesNotMatch(everything, /whsec|prefix|hint|base64|decod/i);
      assert.equal(everything.includes(hint), false);
    });
  });
});

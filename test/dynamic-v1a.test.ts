// v1a (Ed25519 over `${id}.${timestamp}.${body}`) against keys from a JWKS served on loopback.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { SECRET, batchSucceeded, freshId, post, signedDelivery, v1aDelivery } from "./support/helpers.js";
import { clockAt, startReceiver, type TestReceiver } from "./support/dynamic-harness.js";
import { hmacSignature, keySet, makeKey, v1aSignature } from "./support/signer.js";
import { startJwksServer, type JwksServer } from "../src/testing/index.js";

// Gemini reportedly publishes three Ed25519 keys without key ids.
const published = [makeKey("EdDSA", null), makeKey("EdDSA", null), makeKey("EdDSA", null)];
const stranger = makeKey("EdDSA", null);

let jwks: JwksServer;
before(async () => {
  jwks = await startJwksServer(keySet(...published));
});
after(() => jwks.close());

function thumbprint(jwk: Record<string, unknown>): string {
  return createHash("sha256")
    .update(JSON.stringify({ crv: "Ed25519", kty: "OKP", x: jwk.x }))
    .digest("base64url");
}

describe("v1a deliveries", () => {
  const clock = clockAt();
  let receiver: TestReceiver;
  before(async () => {
    receiver = await startReceiver({ secret: SECRET, jwks: { url: jwks.url } }, clock);
  });
  after(() => receiver.close());

  test("signed by any of the published Ed25519 keys reach typed handlers, with the key named in ctx", async () => {
    const outputs: string[] = [];
    receiver.webhooks.on("batch.succeeded", (event, ctx) => {
      outputs.push(`${event.data.output_file_uri} ${ctx.scheme}`);
    });
    const before = receiver.calls.length;
    for (const key of published) {
      const answer = await post(
        receiver.url,
        v1aDelivery(batchSucceeded(), key, { id: freshId(), timestamp: clock.seconds }),
      );
      assert.equal(answer.status, 200);
      assert.deepEqual(answer.json, { status: "received" });
    }
    const calls = receiver.calls.slice(before);
    assert.equal(calls.length, 3);
    assert.deepEqual(outputs, Array(3).fill("gs://my-bucket/results.jsonl v1a"));
    assert.deepEqual(
      calls.map((call) => call.ctx.keyId),
      published.map((key) => thumbprint(key.jwk)),
    );
    assert.equal(calls[0]!.ctx.secretIndex, undefined);
    assert.equal(jwks.requestCount, 1, "the key set is fetched once and cached");
  });

  test("a key's kid names it when the set gives one", async () => {
    const withKid = makeKey("EdDSA", "gemini-ed-1");
    const clockB = clockAt();
    const local = await startReceiver({ jwks: { keys: keySet(withKid) } }, clockB);
    try {
      const answer = await post(
        local.url,
        v1aDelivery(batchSucceeded(), withKid, { id: freshId(), timestamp: clockB.seconds }),
      );
      assert.equal(answer.status, 200);
      assert.equal(local.calls[0]!.ctx.keyId, "gemini-ed-1");
    } finally {
      await local.close();
    }
  });

  test("signed by a key not in the set → 401 invalid_signature, no handler", async () => {
    const before = receiver.calls.length;
    const answer = await post(
      receiver.url,
      v1aDelivery(batchSucceeded(), stranger, { id: freshId(), timestamp: clock.seconds }),
    );
    assert.equal(answer.status, 401);
    assert.equal(answer.json.error, "invalid_signature");
    assert.equal(receiver.calls.length, before);
  });

  test("webhook-id or webhook-timestamp changed after signing → 401 invalid_signature, no handler", async () => {
    const before = receiver.calls.length;
    const delivery = v1aDelivery(batchSucceeded(), published[0]!, { id: freshId(), timestamp: clock.seconds });
    const idChanged = { ...delivery, headers: { ...delivery.headers, "webhook-id": freshId() } };
    const timestampChanged = {
      ...delivery,
      headers: { ...delivery.headers, "webhook-timestamp": String(clock.seconds - 1) },
    };
    for (const forged of [idChanged, timestampChanged]) {
      const answer = await post(receiver.url, forged);
      assert.equal(answer.status, 401);
      assert.equal(answer.json.error, "invalid_signature");
    }
    assert.equal(receiver.calls.length, before);
  });

  test("a tampered body → 401 invalid_signature, no handler", async () => {
    const before = receiver.calls.length;
    const delivery = v1aDelivery(batchSucceeded(), published[1]!, { id: freshId(), timestamp: clock.seconds });
    const answer = await post(receiver.url, { ...delivery, body: delivery.body.replace("results", "elsewhere") });
    assert.equal(answer.status, 401);
    assert.equal(answer.json.error, "invalid_signature");
    assert.equal(receiver.calls.length, before);
  });

  test("the same timestamp rule as v1: too old and too new are refused even when the signature is good", async () => {
    const before = receiver.calls.length;
    const old = await post(
      receiver.url,
      v1aDelivery(batchSucceeded(), published[0]!, { id: freshId(), timestamp: clock.seconds - 301 }),
    );
    assert.equal(old.status, 401);
    assert.equal(old.json.error, "timestamp_too_old");
    const future = await post(
      receiver.url,
      v1aDelivery(batchSucceeded(), published[0]!, { id: freshId(), timestamp: clock.seconds + 301 }),
    );
    assert.equal(future.status, 401);
    assert.equal(future.json.error, "timestamp_too_new");
    assert.equal(receiver.calls.length, before);
  });

  test("the same dedupe as v1: a retry with the same webhook-id runs handlers once", async () => {
    const before = receiver.calls.length;
    const id = freshId();
    const first = await post(
      receiver.url,
      v1aDelivery(batchSucceeded(), published[2]!, { id, timestamp: clock.seconds }),
    );
    const retry = await post(
      receiver.url,
      v1aDelivery(batchSucceeded(), published[0]!, { id, timestamp: clock.seconds + 60 }),
    );
    assert.equal(first.status, 200);
    assert.deepEqual(retry.json, { status: "duplicate" });
    assert.equal(receiver.calls.length, before + 1);
  });

  test("a header mixing entries verifies when any configured entry does", async () => {
    const id = freshId();
    const body = JSON.stringify(batchSucceeded());
    const goodV1a = `v1a,${v1aSignature(published[0]!.privateKey, id, clock.seconds, body)}`;
    const badV1 = `v1,${hmacSignature(SECRET, "other", clock.seconds, body)}`;
    const headers = {
      "webhook-id": id,
      "webhook-timestamp": String(clock.seconds),
      "content-type": "application/json",
    };
    const mixed = await post(receiver.url, {
      body,
      headers: { ...headers, "webhook-signature": `${badV1} ${goodV1a}` },
    });
    assert.equal(mixed.status, 200);
    assert.equal(receiver.calls.at(-1)!.ctx.scheme, "v1a");

    const id2 = freshId();
    const goodV1 = signedDelivery(batchSucceeded(), { id: id2, timestamp: clock.seconds });
    const withJunk = `v1a,${Buffer.alloc(64, 7).toString("base64")} ${goodV1.headers["webhook-signature"]}`;
    const answer = await post(receiver.url, {
      ...goodV1,
      headers: { ...goodV1.headers, "webhook-signature": withJunk },
    });
    assert.equal(answer.status, 200);
    assert.equal(receiver.calls.at(-1)!.ctx.scheme, "v1");
  });

  test("a non-canonical base64 signature is not accepted", async () => {
    const before = receiver.calls.length;
    const delivery = v1aDelivery(batchSucceeded(), published[0]!, { id: freshId(), timestamp: clock.seconds });
    const [, signature] = delivery.headers["webhook-signature"]!.split(",");
    const unpadded = `v1a,${signature!.replace(/=+$/, "")}`;
    const answer = await post(receiver.url, {
      ...delivery,
      headers: { ...delivery.headers, "webhook-signature": unpadded },
    });
    assert.equal(answer.status, 401);
    assert.equal(receiver.calls.length, before);
  });
});

describe("only configured schemes are accepted", () => {
  test("without jwks, a valid v1a is refused and no key set is fetched", async () => {
    const clock = clockAt();
    const server = await startJwksServer(keySet(...published));
    const receiver = await startReceiver({ secret: SECRET }, clock);
    try {
      const answer = await post(
        receiver.url,
        v1aDelivery(batchSucceeded(), published[0]!, { id: freshId(), timestamp: clock.seconds }),
      );
      assert.equal(answer.status, 401);
      assert.equal(answer.json.error, "invalid_signature");
      assert.equal(receiver.calls.length, 0);
      assert.equal(server.requestCount, 0);
    } finally {
      await receiver.close();
      await server.close();
    }
  });

  test("without secret, a valid v1 is refused, without fetching keys for it", async () => {
    const clock = clockAt();
    const server = await startJwksServer(keySet(...published));
    const receiver = await startReceiver({ jwks: { url: server.url } }, clock);
    try {
      const answer = await post(receiver.url, signedDelivery(batchSucceeded(), { timestamp: clock.seconds }));
      assert.equal(answer.status, 401);
      assert.equal(answer.json.error, "invalid_signature");
      assert.equal(receiver.calls.length, 0);
      assert.equal(server.requestCount, 0);
      const v1a = await post(
        receiver.url,
        v1aDelivery(batchSucceeded(), published[0]!, { id: freshId(), timestamp: clock.seconds }),
      );
      assert.equal(v1a.status, 200);
    } finally {
      await receiver.close();
      await server.close();
    }
  });

  test("a local key set (jwks.keys) verifies without any network", async () => {
    const clock = clockAt();
    const receiver = await startReceiver({ jwks: { keys: keySet(...published) } }, clock);
    try {
      const answer = await post(
        receiver.url,
        v1aDelivery(batchSucceeded(), published[2]!, { id: freshId(), timestamp: clock.seconds }),
      );
      assert.equal(answer.status, 200);
      const forged = await post(
        receiver.url,
        v1aDelivery(batchSucceeded(), stranger, { id: freshId(), timestamp: clock.seconds }),
      );
      assert.equal(forged.status, 401);
    } finally {
      await receiver.close();
    }
  });
});

describe("v1a key rotation", () => {
  test("a new key is accepted once the set is refetched (cooldown permitting); a removed key stops verifying", async () => {
    const clock = clockAt();
    const [oldKey, newKey] = [makeKey("EdDSA", null), makeKey("EdDSA", null)];
    const server = await startJwksServer(keySet(oldKey));
    const receiver = await startReceiver(
      { jwks: { url: server.url, cooldownMs: 30_000, cacheMaxAgeMs: 600_000 } },
      clock,
    );
    const deliver = (key: typeof oldKey) =>
      post(receiver.url, v1aDelivery(batchSucceeded(), key, { id: freshId(), timestamp: clock.seconds }));
    try {
      assert.equal((await deliver(oldKey)).status, 200);
      assert.equal(server.requestCount, 1);

      server.setKeys(keySet(oldKey, newKey)); // Gemini publishes the next key
      clock.advance(10_000);
      const early = await deliver(newKey);
      assert.equal(early.status, 401, "inside the cooldown the set is not refetched");
      assert.equal(server.requestCount, 1);

      clock.advance(25_000);
      const later = await deliver(newKey);
      assert.equal(later.status, 200, "past the cooldown, an unverifiable v1a refetches the set once");
      assert.equal(server.requestCount, 2);
      assert.equal((await deliver(oldKey)).status, 200, "both keys verify during the overlap");

      server.setKeys(keySet(newKey)); // the old key is retired
      clock.advance(600_000);
      assert.equal((await deliver(oldKey)).status, 401, "once the cache expires, the retired key no longer verifies");
      assert.equal((await deliver(newKey)).status, 200);
      assert.equal(server.requestCount, 3);
    } finally {
      await receiver.close();
      await server.close();
    }
  });
});

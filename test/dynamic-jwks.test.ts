// The key source: one fetch for many deliveries, cooldown on unknown keys, stale-if-error, outages, timeouts.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { batchSucceeded, freshId, jwtDelivery, post, v1aDelivery } from "./support/helpers.js";
import { clockAt, startReceiver, type Clock, type TestReceiver } from "./support/dynamic-harness.js";
import { startFlakyJwksServer, type FlakyJwksServer } from "./support/flaky-jwks-server.js";
import { keySet, makeKey, signJwt, type TestKey } from "./support/signer.js";
import { nodeCrypto } from "../src/crypto/node.js";
import { createKeySource } from "../src/verify/jwks.js";
import { resolveOptions, type JwksOptions } from "../src/options.js";
import type { WebhookError } from "../src/index.js";

const AUDIENCE = "my-service";
const rsa = makeKey("RS256");
const ed = makeKey("EdDSA", null);
const stranger = makeKey("RS256");

function jwtFor(clock: Clock, key: TestKey, kid = key.kid) {
  const token = signJwt({ aud: AUDIENCE, iat: clock.seconds, exp: clock.seconds + 300 }, { key, kid });
  return jwtDelivery(token, batchSucceeded(), { id: freshId(), timestamp: clock.seconds });
}
const v1aFor = (clock: Clock, key: TestKey = ed) =>
  v1aDelivery(batchSucceeded(), key, { id: freshId(), timestamp: clock.seconds });

/** A JWKS server and a receiver using it, torn down after `body`. */
async function withSetup(
  jwks: Omit<JwksOptions, "url">,
  body: (ctx: { server: FlakyJwksServer; receiver: TestReceiver; clock: Clock }) => Promise<void>,
  keys: TestKey[] = [rsa, ed],
) {
  const clock = clockAt();
  const server = await startFlakyJwksServer(keySet(...keys));
  const receiver = await startReceiver({ jwks: { url: server.url, audience: AUDIENCE, ...jwks } }, clock);
  try {
    await body({ server, receiver, clock });
  } finally {
    await receiver.close();
    await server.close();
  }
}

const keyErrors = (receiver: TestReceiver): WebhookError[] =>
  receiver.errors.filter((error) => error.code === "keys_unavailable");

describe("one fetch for many deliveries", () => {
  test("200 concurrent deliveries (v1a and JWT) with nothing cached → exactly one JWKS fetch, all accepted", () =>
    withSetup({}, async ({ server, receiver, clock }) => {
      const deliveries = Array.from({ length: 200 }, (_, index) =>
        index % 2 === 0 ? v1aFor(clock) : jwtFor(clock, rsa),
      );
      const answers = await Promise.all(deliveries.map((delivery) => post(receiver.url, delivery)));
      assert.deepEqual(
        answers.map((answer) => answer.status),
        Array(200).fill(200),
      );
      assert.equal(receiver.calls.length, 200);
      assert.equal(server.requests, 1);
    }));

  test("50 concurrent deliveries under a kid published since the last fetch → exactly one more fetch", () =>
    withSetup({ cooldownMs: 30_000 }, async ({ server, receiver, clock }) => {
      assert.equal((await post(receiver.url, jwtFor(clock, rsa))).status, 200);
      const next = makeKey("ES256");
      server.serve(keySet(rsa, ed, next));
      clock.advance(30_000);
      const answers = await Promise.all(Array.from({ length: 50 }, () => post(receiver.url, jwtFor(clock, next))));
      assert.deepEqual(
        answers.map((answer) => answer.status),
        Array(50).fill(200),
      );
      assert.equal(server.requests, 2);
    }));
});

describe("cooldown", () => {
  test("a flood of unknown key ids (and unknown v1a keys) inside the cooldown makes no extra fetch", () =>
    withSetup({ cooldownMs: 30_000 }, async ({ server, receiver, clock }) => {
      assert.equal((await post(receiver.url, jwtFor(clock, rsa))).status, 200);
      assert.equal(server.requests, 1);
      const flood = Array.from({ length: 60 }, (_, index) =>
        index % 3 === 0 ? v1aFor(clock, makeKey("EdDSA", null)) : jwtFor(clock, stranger, `unknown-${index}`),
      );
      const answers = await Promise.all(flood.map((delivery) => post(receiver.url, delivery)));
      assert.ok(answers.every((answer) => answer.status === 401 && answer.json.error === "invalid_signature"));
      assert.equal(server.requests, 1);
      assert.equal(receiver.calls.length, 1);

      clock.advance(30_000);
      await post(receiver.url, jwtFor(clock, stranger, "unknown-after-cooldown"));
      assert.equal(server.requests, 2, "past the cooldown an unknown kid refetches once");
      await Promise.all(
        Array.from({ length: 10 }, (_, i) => post(receiver.url, jwtFor(clock, stranger, `again-${i}`))),
      );
      assert.equal(server.requests, 2);
    }));
});

describe("outages", () => {
  test("endpoint down with a warm cache → deliveries still verify (stale-if-error), failures reported via onError", () =>
    withSetup({ cacheMaxAgeMs: 60_000, cooldownMs: 30_000 }, async ({ server, receiver, clock }) => {
      assert.equal((await post(receiver.url, v1aFor(clock))).status, 200);
      server.mode = "down";
      clock.advance(61_000); // the cached set is stale now
      const during = await post(receiver.url, v1aFor(clock));
      assert.equal(during.status, 200);
      assert.equal((await post(receiver.url, jwtFor(clock, rsa))).status, 200);
      assert.equal(server.requests, 2, "one refresh attempt; the next waits for the cooldown");
      const [reported] = keyErrors(receiver);
      assert.ok(reported, "the failed refresh is reported");
      assert.match(reported.message, /still verified with the last good set/);

      clock.advance(30_000);
      assert.equal((await post(receiver.url, v1aFor(clock))).status, 200);
      assert.equal(server.requests, 3, "retried once the cooldown passed");
      assert.equal(keyErrors(receiver).length, 2);

      server.mode = "up";
      clock.advance(30_000);
      assert.equal((await post(receiver.url, v1aFor(clock))).status, 200);
      assert.equal(server.requests, 4);
      assert.equal((await post(receiver.url, v1aFor(clock))).status, 200);
      assert.equal(server.requests, 4, "fresh again: served from the cache");
      assert.equal(keyErrors(receiver).length, 2);
    }));

  test("endpoint down with nothing cached → 503 keys_unavailable with Retry-After, no handler; the retry goes through", () =>
    withSetup({ cooldownMs: 30_000 }, async ({ server, receiver, clock }) => {
      server.mode = "down";
      const delivery = jwtFor(clock, rsa);
      for (const attempt of [delivery, v1aFor(clock)]) {
        const answer = await post(receiver.url, attempt);
        assert.equal(answer.status, 503);
        assert.equal(answer.json.error, "keys_unavailable");
        assert.equal(answer.headers.get("retry-after"), "30");
        assert.doesNotMatch(JSON.stringify(answer.json), /127\.0\.0\.1/, "the key set URL is not echoed");
      }
      assert.equal(receiver.calls.length, 0);
      assert.equal(server.requests, 1, "a failing endpoint is not hammered");
      assert.ok(keyErrors(receiver)[0]?.cause, "the cause reaches onError");

      server.mode = "up";
      clock.advance(30_000);
      const retry = await post(receiver.url, delivery); // Gemini's retry: same webhook-id
      assert.equal(retry.status, 200);
      assert.deepEqual(retry.json, { status: "received" }, "the refused attempt did not burn the id");
      assert.equal(receiver.calls.length, 1);
    }));

  test("stale beyond staleIfErrorMs → 503 keys_unavailable", () =>
    withSetup(
      { cacheMaxAgeMs: 60_000, cooldownMs: 1_000, staleIfErrorMs: 120_000 },
      async ({ server, receiver, clock }) => {
        assert.equal((await post(receiver.url, v1aFor(clock))).status, 200);
        server.mode = "down";
        clock.advance(60_000 + 119_000);
        assert.equal((await post(receiver.url, v1aFor(clock))).status, 200, "still inside the stale-if-error window");
        clock.advance(2_000);
        const answer = await post(receiver.url, v1aFor(clock));
        assert.equal(answer.status, 503);
        assert.equal(answer.json.error, "keys_unavailable");
      },
    ));

  test("staleIfErrorMs: 0 fails closed as soon as the cache is stale and the endpoint down", () =>
    withSetup({ cacheMaxAgeMs: 60_000, staleIfErrorMs: 0 }, async ({ server, receiver, clock }) => {
      assert.equal((await post(receiver.url, v1aFor(clock))).status, 200);
      server.mode = "down";
      clock.advance(60_000);
      assert.equal((await post(receiver.url, v1aFor(clock))).status, 503);
    }));

  test("a slow endpoint is bounded by timeoutMs → 503 keys_unavailable (timeout as the cause)", () =>
    withSetup({ timeoutMs: 50 }, async ({ server, receiver, clock }) => {
      server.mode = "slow";
      server.slowMs = 10_000;
      const answer = await post(receiver.url, v1aFor(clock));
      assert.equal(answer.status, 503);
      assert.equal(answer.json.error, "keys_unavailable");
      assert.equal((keyErrors(receiver)[0]?.cause as { code?: string }).code, "ERR_JWKS_TIMEOUT");
    }));

  test("a refresh returning garbage or no usable key keeps the last good set", () =>
    withSetup({ cacheMaxAgeMs: 60_000, cooldownMs: 0 }, async ({ server, receiver, clock }) => {
      assert.equal((await post(receiver.url, v1aFor(clock))).status, 200);
      server.mode = "garbage";
      clock.advance(60_000);
      assert.equal((await post(receiver.url, v1aFor(clock))).status, 200);
      server.mode = "up";
      server.serve({ keys: [{ kty: "oct", k: "c2VjcmV0" }] });
      clock.advance(60_000);
      assert.equal((await post(receiver.url, jwtFor(clock, rsa))).status, 200);
      assert.equal(server.requests, 3);
      assert.equal(keyErrors(receiver).length, 2);
    }));
});

describe("key set contents", () => {
  test("private or secret keys in a fetched set are never used", async () => {
    const leaked = makeKey("EdDSA", "leaked");
    const privateJwk = { ...leaked.privateKey.export({ format: "jwk" }), kid: "leaked" };
    await withSetup({}, async ({ server, receiver, clock }) => {
      server.serve({ keys: [rsa.jwk, privateJwk] });
      assert.equal((await post(receiver.url, v1aFor(clock, leaked))).status, 401);
      assert.equal((await post(receiver.url, jwtFor(clock, leaked))).status, 401);
      assert.equal((await post(receiver.url, jwtFor(clock, rsa))).status, 200);
    });
  });

  test("keys are imported once per key-set version: a refresh with the same keys keeps the version", async () => {
    const server = await startFlakyJwksServer(keySet(rsa, ed));
    try {
      const clock = clockAt();
      const config = resolveOptions({ jwks: { url: server.url, cacheMaxAgeMs: 1_000, cooldownMs: 0 } }).jwks!;
      const source = createKeySource(
        config,
        () => clock.ms,
        () => {},
        nodeCrypto,
      );
      const first = await source.current();
      assert.equal(source.current(), first, "synchronous and identical while fresh");
      assert.equal(first.ed25519.length, 1);
      clock.advance(1_000);
      assert.equal(await source.current(), first, "same keys fetched again: same version, nothing re-imported");
      assert.equal(server.requests, 2);
      server.serve(keySet(rsa, ed, makeKey("EdDSA", null)));
      clock.advance(1_000);
      const second = await source.current();
      assert.notEqual(second, first);
      assert.equal(second.ed25519.length, 2);
    } finally {
      await server.close();
    }
  });
});

// JWT deliveries (a compact JWS in webhook-signature) against a JWKS served on loopback.
import { after, before, describe, mock, test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { SECRET, batchSucceeded, freshId, jwtDelivery, post } from "./support/helpers.js";
import { clockAt, startReceiver, type Clock, type TestReceiver } from "./support/dynamic-harness.js";
import { keySet, makeKey, signJwt, type TestKey } from "./support/signer.js";
import { startJwksServer, type JwksServer } from "../src/testing/index.js";

const rsa = makeKey("RS256");
const p256 = makeKey("ES256");
const ed = makeKey("EdDSA");
const edNoKid = [makeKey("EdDSA", null), makeKey("EdDSA", null)];
const AUDIENCE = "my-service";
const ISSUER = "https://generativelanguage.googleapis.com";

let jwks: JwksServer;
before(async () => {
  jwks = await startJwksServer(keySet(rsa, p256, ed, ...edNoKid));
});
after(() => jwks.close());

function claims(clock: Clock, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { iss: ISSUER, aud: AUDIENCE, iat: clock.seconds, exp: clock.seconds + 300, ...extra };
}

/** A JWT delivery with the usual Standard Webhooks headers too. */
function delivery(clock: Clock, token: string, body: unknown = batchSucceeded(), id = freshId()) {
  return jwtDelivery(token, body, { id, timestamp: clock.seconds });
}

describe("valid JWT deliveries", () => {
  const clock = clockAt();
  let receiver: TestReceiver;
  before(async () => {
    receiver = await startReceiver(
      { secret: SECRET, jwks: { url: jwks.url, audience: AUDIENCE, issuer: ISSUER } },
      clock,
    );
  });
  after(() => receiver.close());

  for (const key of [rsa, p256, ed]) {
    test(`${key.alg} reaches typed handlers with claims and kid in ctx`, async () => {
      const seen: string[] = [];
      receiver.webhooks.on("batch.succeeded", (event, ctx) => {
        if (ctx.keyId === key.kid) seen.push(String(event.data.output_file_uri));
      });
      const before = receiver.calls.length;
      const answer = await post(receiver.url, delivery(clock, signJwt(claims(clock), { key })));
      assert.equal(answer.status, 200);
      assert.deepEqual(answer.json, { status: "received" });
      assert.deepEqual(seen, ["gs://my-bucket/results.jsonl"]);
      const { ctx, event } = receiver.calls[before]!;
      assert.equal(ctx.scheme, "jwt");
      assert.equal(ctx.keyId, key.kid);
      assert.equal(ctx.claims?.aud, AUDIENCE);
      assert.equal(ctx.claims?.iss, ISSUER);
      assert.equal(event.type, "batch.succeeded");
    });
  }

  test("EdDSA without kid is tried against each Ed25519 key of the set", async () => {
    for (const key of edNoKid) {
      const answer = await post(receiver.url, delivery(clock, signJwt(claims(clock), { key })));
      assert.equal(answer.status, 200);
      assert.equal(receiver.calls.at(-1)!.ctx.keyId, undefined);
    }
  });

  test("the key set was fetched once for all of them", () => {
    assert.equal(jwks.requestCount, 1);
  });

  test("a token-only delivery (no webhook-id / webhook-timestamp) uses jti as the id and iat for freshness", async () => {
    const jti = freshId();
    const token = signJwt(claims(clock, { jti }), { key: rsa });
    const first = await post(receiver.url, jwtDelivery(token, batchSucceeded()));
    assert.equal(first.status, 200);
    const { ctx } = receiver.calls.at(-1)!;
    assert.equal(ctx.webhookId, jti);
    assert.equal(ctx.timestamp, clock.seconds);
    const before = receiver.calls.length;
    const retry = await post(
      receiver.url,
      jwtDelivery(signJwt(claims(clock, { jti, iat: clock.seconds + 1 }), { key: rsa }), batchSucceeded()),
    );
    assert.deepEqual(retry.json, { status: "duplicate" }, "dedupe by jti");
    assert.equal(receiver.calls.length, before);
  });

  test("an empty body takes the event from the claims", async () => {
    const event = {
      type: "batch.succeeded",
      version: "v1",
      data: { id: "batches/9", output_file_uri: "gs://b/claims.jsonl" },
    };
    const answer = await post(receiver.url, delivery(clock, signJwt(claims(clock, event), { key: p256 }), ""));
    assert.equal(answer.status, 200);
    const call = receiver.calls.at(-1)!;
    assert.deepEqual(call.event, event, "registered claims are left out of the event");
    assert.equal(call.ctx.rawBody.length, 0);
  });

  test('a "__proto__" claim stays an own property of the event from the claims, as JSON.parse keeps it in a body (issue 12)', async () => {
    const event = {
      type: "batch.succeeded",
      version: "v1",
      data: { id: "batches/proto", output_file_uri: "gs://b/p.jsonl" },
    };
    // JSON.parse makes "__proto__" an own property (an object literal would set the prototype instead).
    const withProto = { ...event, ...JSON.parse('{"__proto__": {"injected": "yes"}}') };
    assert.ok(JSON.stringify(withProto).includes('"__proto__":{"injected":"yes"}'));
    const answer = await post(receiver.url, delivery(clock, signJwt(claims(clock, withProto), { key: p256 }), ""));
    assert.equal(answer.status, 200);
    const fromClaims = receiver.calls.at(-1)!.event;
    assert.equal(fromClaims.injected, undefined, "the claim must not become the event's prototype");
    assert.equal(Object.getPrototypeOf(fromClaims), Object.prototype);
    assert.deepEqual(Object.getOwnPropertyDescriptor(fromClaims, "__proto__")?.value, { injected: "yes" });
    // The JSON body path gives the same shape for the same event.
    const body = JSON.stringify(withProto);
    await post(receiver.url, delivery(clock, signJwt(claims(clock), { key: p256 }), body));
    const fromBody = receiver.calls.at(-1)!.event;
    assert.equal(fromBody.injected, undefined);
    assert.deepEqual(Object.keys(fromClaims).sort(), Object.keys(fromBody).sort());
  });

  test("a body matching the event the claims carry is accepted", async () => {
    const body = batchSucceeded();
    const answer = await post(
      receiver.url,
      delivery(clock, signJwt(claims(clock, body as Record<string, unknown>), { key: ed }), body),
    );
    assert.equal(answer.status, 200);
  });

  test("a body matching the digest claim is accepted", async () => {
    const body = JSON.stringify(batchSucceeded("batches/digest"));
    const digest = createHash("sha256").update(body).digest("base64url");
    const answer = await post(
      receiver.url,
      delivery(clock, signJwt(claims(clock, { body_sha256: digest }), { key: rsa }), body),
    );
    assert.equal(answer.status, 200);
  });
});

describe("attacks on JWT deliveries are refused with the right code and no handler call", () => {
  const clock = clockAt();
  let receiver: TestReceiver;
  before(async () => {
    receiver = await startReceiver({ jwks: { url: jwks.url, audience: AUDIENCE, issuer: ISSUER } }, clock);
  });
  after(() => receiver.close());

  async function refused(token: string, code: string, status = 401, body: unknown = batchSucceeded()) {
    const before = receiver.calls.length;
    const answer = await post(receiver.url, delivery(clock, token, body));
    assert.equal(answer.status, status, JSON.stringify(answer.json));
    assert.equal(answer.json.error, code);
    assert.equal(receiver.calls.length, before, "no handler ran");
  }

  test('alg "none"', () => refused(signJwt(claims(clock), { alg: "none", kid: rsa.kid }), "invalid_signature"));

  test("HS256 signed with the RSA public key as the HMAC secret", async () => {
    const pem = rsa.publicKey.export({ format: "pem", type: "spki" });
    await refused(signJwt(claims(clock), { alg: "HS256", kid: rsa.kid, hmacSecret: pem }), "invalid_signature");
    const der = rsa.publicKey.export({ format: "der", type: "spki" });
    await refused(signJwt(claims(clock), { alg: "HS256", kid: rsa.kid, hmacSecret: der }), "invalid_signature");
  });

  test("wrong aud", () => refused(signJwt(claims(clock, { aud: "someone-else" }), { key: rsa }), "invalid_signature"));
  test("no aud", () => refused(signJwt(claims(clock, { aud: undefined }), { key: rsa }), "invalid_signature"));
  test("wrong iss", () =>
    refused(signJwt(claims(clock, { iss: "https://evil.example" }), { key: p256 }), "invalid_signature"));

  test("expired (exp beyond the tolerance)", () =>
    refused(
      signJwt(claims(clock, { iat: clock.seconds - 1000, exp: clock.seconds - 301 }), { key: rsa }),
      "timestamp_too_old",
    ));

  test("iat in the future", () =>
    refused(signJwt(claims(clock, { iat: clock.seconds + 301 }), { key: ed }), "timestamp_too_new"));

  test("nbf in the future", () =>
    refused(signJwt(claims(clock, { nbf: clock.seconds + 301 }), { key: ed }), "timestamp_too_new"));

  test("no exp and an iat older than the tolerance", () =>
    refused(signJwt(claims(clock, { exp: undefined, iat: clock.seconds - 301 }), { key: rsa }), "timestamp_too_old"));

  test("tampered body when the claims carry the event", async () => {
    const event = batchSucceeded() as Record<string, unknown>;
    const token = signJwt(claims(clock, event), { key: rsa });
    await refused(token, "invalid_signature", 401, {
      ...event,
      data: { id: "batches/123", output_file_uri: "gs://attacker/x" },
    });
    await refused(token, "invalid_signature", 401, { ...event, type: "batch.failed" });
    await refused(token, "invalid_signature", 401, "not json");
  });

  test("tampered body when the claims carry its digest", async () => {
    const body = JSON.stringify(batchSucceeded());
    for (const encode of ["hex", "base64", "base64url"] as const) {
      const digest = createHash("sha256").update(body).digest(encode);
      const token = signJwt(claims(clock, { payload_sha256: `sha256:${digest}` }), { key: p256 });
      await refused(token, "invalid_signature", 401, body.replace("results", "stolen"));
    }
  });

  test("a signature by another key under a published kid", () =>
    refused(signJwt(claims(clock), { key: makeKey("RS256", rsa.kid!) }), "invalid_signature"));

  test("a token altered after signing", () => {
    const [header, payload, signature] = signJwt(claims(clock), { key: rsa }).split(".");
    const altered = Buffer.from(JSON.stringify(claims(clock, { aud: AUDIENCE, sub: "admin" }))).toString("base64url");
    assert.notEqual(altered, payload);
    return refused(`${header}.${altered}.${signature}`, "invalid_signature");
  });

  test("a good signature written non-canonically (spare bits of its last character set), for each key type", async () => {
    const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    for (const key of [rsa, p256, ed]) {
      const token = signJwt(claims(clock), { key });
      const signature = token.slice(token.lastIndexOf(".") + 1);
      // RS256 (256 bytes) and Ed25519 (64) leave 4 spare bits, ES256 (64) too; 2 for a 2-byte tail.
      const spare = signature.length % 4 === 2 ? 0b1111 : 0b11;
      const last = alphabet.indexOf(signature.at(-1)!);
      const lenient = `${token.slice(0, -1)}${alphabet[last | spare]}`;
      // The same bytes: jose alone would accept it.
      assert.deepEqual(Buffer.from(lenient.split(".")[2]!, "base64url"), Buffer.from(signature, "base64url"));
      assert.notEqual(lenient, token);
      await refused(lenient, "invalid_signature");
    }
  });
  test("an algorithm outside the allow-list (RS256 key, but only ES256 allowed)", async () => {
    const strict = await startReceiver({ jwks: { url: jwks.url, audience: AUDIENCE, algorithms: ["ES256"] } }, clock);
    try {
      const answer = await post(strict.url, delivery(clock, signJwt(claims(clock), { key: rsa })));
      assert.equal(answer.status, 401);
      assert.equal(strict.calls.length, 0);
    } finally {
      await strict.close();
    }
  });

  test("jti differing from webhook-id", () =>
    refused(signJwt(claims(clock, { jti: "msg_other" }), { key: rsa }), "invalid_signature"));

  test("the handler never ran and the key set was fetched once", () => {
    assert.equal(receiver.calls.length, 0);
    assert.ok(jwks.requestCount >= 1);
  });
});

describe("JWT freshness and identity evidence", () => {
  const clock = clockAt();
  let receiver: TestReceiver;
  before(async () => {
    receiver = await startReceiver({ jwks: { url: jwks.url, audience: AUDIENCE } }, clock);
  });
  after(() => receiver.close());

  test("no iat, no exp and no webhook-timestamp → 400 missing_headers", async () => {
    const token = signJwt({ aud: AUDIENCE, jti: freshId() }, { key: rsa });
    const answer = await post(receiver.url, jwtDelivery(token, batchSucceeded()));
    assert.equal(answer.status, 400);
    assert.equal(answer.json.error, "missing_headers");
    assert.match(receiver.errors.at(-1)!.message, /nothing shows the delivery is fresh/);
    assert.equal(receiver.calls.length, 0);
  });

  test("no iat and no exp, but a webhook-timestamp: the header's ±tolerance rule applies", async () => {
    const token = signJwt({ aud: AUDIENCE }, { key: rsa });
    const fresh = await post(
      receiver.url,
      jwtDelivery(token, batchSucceeded(), { id: freshId(), timestamp: clock.seconds }),
    );
    assert.equal(fresh.status, 200);
    const stale = await post(
      receiver.url,
      jwtDelivery(token, batchSucceeded(), { id: freshId(), timestamp: clock.seconds - 301 }),
    );
    assert.equal(stale.status, 401);
    assert.equal(stale.json.error, "timestamp_too_old");
  });

  test("no webhook-id and no jti → 400 missing_headers (nothing to drop duplicates by)", async () => {
    const before = receiver.calls.length;
    const answer = await post(receiver.url, jwtDelivery(signJwt(claims(clock), { key: rsa }), batchSucceeded()));
    assert.equal(answer.status, 400);
    assert.equal(answer.json.error, "missing_headers");
    assert.equal(receiver.calls.length, before);
  });

  test("a v1 or v1a header still needs webhook-id and webhook-timestamp", async () => {
    const answer = await post(receiver.url, {
      body: "{}",
      headers: { "webhook-signature": `v1a,${Buffer.alloc(64).toString("base64")}` },
    });
    assert.equal(answer.status, 400);
    assert.equal(answer.json.error, "missing_headers");
  });
});

describe("JWT configuration", () => {
  test("without jwks.audience a JWT is refused, and the operator is told to configure one", async () => {
    const clock = clockAt();
    const warn = mock.method(console, "warn", () => {});
    const receiver = await startReceiver({ jwks: { url: jwks.url } }, clock);
    try {
      for (let attempt = 0; attempt < 2; attempt++) {
        const answer = await post(receiver.url, delivery(clock, signJwt(claims(clock), { key: rsa })));
        assert.equal(answer.status, 401);
        assert.equal(answer.json.error, "invalid_signature");
      }
      assert.equal(receiver.calls.length, 0);
      assert.match(receiver.errors[0]!.message, /jwks\.audience is not configured/);
      assert.equal(warn.mock.callCount(), 1, "warned once");
      assert.match(String(warn.mock.calls[0]!.arguments[0]), /audience/);
    } finally {
      warn.mock.restore();
      await receiver.close();
    }
  });

  test("without jwks, a valid JWT is refused", async () => {
    const clock = clockAt();
    const receiver = await startReceiver({ secret: SECRET }, clock);
    try {
      const answer = await post(receiver.url, delivery(clock, signJwt(claims(clock), { key: rsa })));
      assert.equal(answer.status, 401);
      assert.equal(answer.json.error, "invalid_signature");
      const tokenOnly = await post(
        receiver.url,
        jwtDelivery(signJwt(claims(clock, { jti: freshId() }), { key: rsa }), batchSucceeded()),
      );
      assert.equal(tokenOnly.status, 400, "without jwks the three headers are required, as for v1");
      assert.equal(tokenOnly.json.error, "missing_headers");
      assert.equal(receiver.calls.length, 0);
    } finally {
      await receiver.close();
    }
  });

  test("verifyClaims sees the claims and raw body, and can refuse", async () => {
    const clock = clockAt();
    const seen: { sub: unknown; body: string }[] = [];
    const receiver = await startReceiver(
      {
        jwks: {
          keys: keySet(rsa),
          audience: AUDIENCE,
          verifyClaims: async (verified, rawBody) => {
            seen.push({ sub: verified.sub, body: rawBody.toString() });
            if (verified.sub !== "projects/mine") throw new Error("not my project");
          },
        },
      },
      clock,
    );
    try {
      const body = JSON.stringify(batchSucceeded());
      const mine = await post(
        receiver.url,
        delivery(clock, signJwt(claims(clock, { sub: "projects/mine" }), { key: rsa }), body),
      );
      assert.equal(mine.status, 200);
      const theirs = await post(
        receiver.url,
        delivery(clock, signJwt(claims(clock, { sub: "projects/other" }), { key: rsa }), body),
      );
      assert.equal(theirs.status, 401);
      assert.equal(theirs.json.error, "invalid_signature");
      assert.doesNotMatch(JSON.stringify(theirs.json), /not my project/, "the hook's error text is not echoed");
      assert.deepEqual(seen, [
        { sub: "projects/mine", body },
        { sub: "projects/other", body },
      ]);
      assert.equal(receiver.calls.length, 1);
    } finally {
      await receiver.close();
    }
  });
});

describe("JWT key rotation", () => {
  test("a token under a new kid is accepted after the set is refetched", async () => {
    const clock = clockAt();
    const [current, next] = [makeKey("RS256"), makeKey("ES256")];
    const server = await startJwksServer(keySet(current));
    const receiver = await startReceiver({ jwks: { url: server.url, audience: AUDIENCE, cooldownMs: 30_000 } }, clock);
    const deliver = (key: TestKey) => post(receiver.url, delivery(clock, signJwt(claims(clock), { key })));
    try {
      assert.equal((await deliver(current)).status, 200);
      server.setKeys(keySet(current, next));
      clock.advance(31_000);
      assert.equal((await deliver(next)).status, 200);
      assert.equal(server.requestCount, 2);
      assert.equal((await deliver(current)).status, 200);
      assert.equal(server.requestCount, 2);
    } finally {
      await receiver.close();
      await server.close();
    }
  });
});

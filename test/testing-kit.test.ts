// The test kit (gemini-webhooks-express/testing): what it signs must verify with the real receiver,
// with standardwebhooks directly (v1), and with independent Ed25519 / JOSE code (v1a, JWT).
import assert from "node:assert/strict";
import { createPublicKey, verify as verifySignature } from "node:crypto";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { after, before, describe, it } from "node:test";
import express from "express";
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify } from "jose";
import { Webhook } from "standardwebhooks";
import { GEMINI_EVENT_TYPES, geminiWebhooks, type AnyGeminiEvent, type DeliveryContext } from "../src/index.js";
import {
  createTestKeys,
  generateSecret,
  importTestKeys,
  sampleEvent,
  signDelivery,
  startJwksServer,
  type SignedDelivery,
  type TestKeys,
} from "../src/testing/index.js";
import { assertUsableSecret } from "../src/verify/secret.js";
import { listen, post, SECRET, type RunningServer } from "./support/helpers.js";

describe("signDelivery (v1)", () => {
  let server: RunningServer;
  const seen: { event: AnyGeminiEvent; ctx: DeliveryContext }[] = [];

  before(async () => {
    const webhooks = geminiWebhooks({ secret: SECRET });
    webhooks.onAny((event, ctx) => void seen.push({ event, ctx }));
    const app = express();
    app.use("/hook", webhooks);
    server = await listen(app);
  });
  after(() => server.close());

  it("is accepted by the receiver, and the handler gets the event as sent", async () => {
    const event = sampleEvent("batch.succeeded");
    const delivery = signDelivery(event, { secret: SECRET });
    const answer = await post(`${server.url}/hook`, delivery);
    assert.equal(answer.status, 200);
    assert.deepEqual(answer.json, { status: "received" });
    const call = seen.find((entry) => entry.ctx.webhookId === delivery.headers["webhook-id"]);
    assert.ok(call, "the handler ran for this delivery");
    assert.deepEqual(call.event, event);
    assert.equal(call.ctx.scheme, "v1");
  });

  it("verifies with standardwebhooks itself, with and without the whsec_ prefix", () => {
    const event = sampleEvent("video.generated");
    for (const secret of [SECRET, SECRET.slice("whsec_".length)]) {
      const delivery = signDelivery(event, { secret });
      assert.deepEqual(new Webhook(SECRET).verify(delivery.body, delivery.headers), event);
    }
  });

  it("uses the given id and timestamp (Unix seconds or a Date) and signs them", () => {
    const timestamp = Math.floor(Date.now() / 1000) - 30;
    const fromNumber = signDelivery({ type: "x" }, { secret: SECRET, id: "msg_fixed", timestamp });
    const fromDate = signDelivery(
      { type: "x" },
      { secret: SECRET, id: "msg_fixed", timestamp: new Date(timestamp * 1000 + 999) },
    );
    assert.equal(fromNumber.headers["webhook-id"], "msg_fixed");
    assert.equal(fromNumber.headers["webhook-timestamp"], String(timestamp));
    assert.deepEqual(fromDate, fromNumber);
    new Webhook(SECRET).verify(fromNumber.body, fromNumber.headers); // throws if id or timestamp were not signed
    const moved = { ...fromNumber.headers, "webhook-timestamp": String(timestamp + 1) };
    assert.throws(() => new Webhook(SECRET).verify(fromNumber.body, moved), /No matching signature/);
  });

  it("gives each delivery a new msg_ id by default", () => {
    const ids = new Set(
      Array.from({ length: 5 }, () => signDelivery({ type: "x" }, { secret: SECRET }).headers["webhook-id"]),
    );
    assert.equal(ids.size, 5);
    for (const id of ids) assert.match(id!, /^msg_[0-9a-f-]{36}$/);
  });

  it("sends a string body byte for byte, so whitespace variants verify too", async () => {
    const body = '{ "type" : "batch.expired",\n  "data": { "id": "batch_9" } }';
    const delivery = signDelivery(body, { secret: SECRET });
    assert.equal(delivery.body, body);
    assert.equal((await post(`${server.url}/hook`, delivery)).status, 200);
    assert.equal(
      signDelivery(Buffer.from(body), { secret: SECRET, id: "msg_same", timestamp: 1 }).headers["webhook-signature"],
      signDelivery(body, { secret: SECRET, id: "msg_same", timestamp: 1 }).headers["webhook-signature"],
      "a Buffer is the body too, not JSON of it",
    );
  });

  it("makes stale deliveries the receiver refuses", async () => {
    const stale = signDelivery(sampleEvent("batch.failed"), {
      secret: SECRET,
      timestamp: Math.floor(Date.now() / 1000) - 600,
    });
    const answer = await post(`${server.url}/hook`, stale);
    assert.equal(answer.status, 401);
    assert.equal(answer.json.error, "timestamp_too_old");
  });

  it("refuses a malformed secret, a timestamp in milliseconds, and missing options", () => {
    assert.throws(() => signDelivery({}, { secret: "whsec_not!base64" }), {
      name: "TypeError",
      message: /secret is not a valid signing secret/,
    });
    assert.throws(() => signDelivery({}, { secret: SECRET, timestamp: Date.now() }), {
      name: "TypeError",
      message: /Unix seconds, not milliseconds/,
    });
    assert.throws(() => signDelivery({}, { secret: SECRET, timestamp: 1.5 }), TypeError);
    assert.throws(() => signDelivery({}, undefined as never), TypeError);
  });
});

describe("createTestKeys (v1a and JWT)", () => {
  const keys = createTestKeys({ audience: "my-service", issuer: "https://issuer.test" });

  it("publishes public keys only: Ed25519 without kid (as Gemini's), RSA and P-256 with one", () => {
    assert.equal(keys.jwks.keys.length, 3);
    for (const jwk of keys.jwks.keys) assert.equal("d" in jwk, false, "no private part in the JWKS");
    const byAlg = Object.fromEntries(keys.jwks.keys.map((jwk) => [jwk.alg, jwk]));
    assert.equal(byAlg.EdDSA?.crv, "Ed25519");
    assert.equal(byAlg.EdDSA?.kid, undefined);
    assert.equal(byAlg.RS256?.kty, "RSA");
    assert.equal(byAlg.ES256?.crv, "P-256");
    assert.ok(byAlg.RS256?.kid && byAlg.ES256?.kid);
  });

  it("signs v1a: Ed25519 over id.timestamp.body, verifiable with the published key", () => {
    const delivery = keys.signV1a(sampleEvent("interaction.completed"), { id: "msg_v1a", timestamp: 1_800_000_000 });
    assert.equal(delivery.headers["webhook-id"], "msg_v1a");
    assert.equal(delivery.headers["webhook-timestamp"], "1800000000");
    const [version, signature] = delivery.headers["webhook-signature"]!.split(",");
    assert.equal(version, "v1a");
    assert.ok(verifyV1a(keys, `msg_v1a.1800000000.${delivery.body}`, signature!));
    assert.equal(verifyV1a(keys, `msg_v1a.1800000001.${delivery.body}`, signature!), false, "the timestamp is covered");
    assert.equal(
      verifyV1a(createTestKeys(), `msg_v1a.1800000000.${delivery.body}`, signature!),
      false,
      "another key set does not verify it",
    );
  });

  for (const algorithm of ["RS256", "ES256", "EdDSA"] as const) {
    it(`signs a ${algorithm} JWT that jose verifies against the JWKS, with aud, iss, iat, exp and jti`, async () => {
      const timestamp = Math.floor(Date.now() / 1000);
      const delivery = await keys.signJwt(sampleEvent("batch.cancelled"), { algorithm, id: "msg_jwt", timestamp });
      const token = delivery.headers["webhook-signature"]!;
      assert.equal(token.split(".").length, 3, "a bare compact JWS, no version prefix");
      assert.equal(decodeProtectedHeader(token).alg, algorithm);
      const { payload } = await jwtVerify(token, createLocalJWKSet(keys.jwks), {
        audience: "my-service",
        issuer: "https://issuer.test",
        algorithms: [algorithm],
      });
      assert.deepEqual(payload, {
        aud: "my-service",
        iss: "https://issuer.test",
        iat: timestamp,
        exp: timestamp + 300,
        jti: "msg_jwt",
      });
      assert.equal(delivery.headers["webhook-id"], "msg_jwt");
      assert.equal(delivery.headers["webhook-timestamp"], String(timestamp));
    });
  }

  it("lets a JWT carry other claims, audience and lifetime (for negative tests)", async () => {
    const delivery = await keys.signJwt("{}", {
      audience: "someone-else",
      expiresInSeconds: 60,
      claims: { type: "batch.failed" },
      timestamp: 1_800_000_000,
    });
    const token = delivery.headers["webhook-signature"]!;
    const claims = JSON.parse(Buffer.from(token.split(".")[1]!, "base64url").toString());
    assert.equal(claims.aud, "someone-else");
    assert.equal(claims.exp, 1_800_000_060);
    assert.equal(claims.type, "batch.failed");
    const bound = await keys.signJwt("{}", { bindBody: true });
    const boundClaims = JSON.parse(
      Buffer.from(bound.headers["webhook-signature"]!.split(".")[1]!, "base64url").toString(),
    );
    assert.equal(
      boundClaims.body_sha256,
      "44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a",
      "hex SHA-256 of {}",
    );
    await assert.rejects(
      jwtVerify(token, createLocalJWKSet(keys.jwks), {
        audience: "my-service",
        currentDate: new Date(1_800_000_000_000),
      }),
      {
        code: "ERR_JWT_CLAIM_VALIDATION_FAILED",
      },
    );
  });

  it("signs only with the algorithms it has a key for", async () => {
    await assert.rejects(
      keys.signJwt("{}", { algorithm: "HS256" as never }),
      /algorithm must be one of EdDSA, RS256, ES256/,
    );
    await assert.rejects(keys.signJwt("{}", { algorithm: "constructor" as never }), /algorithm must be one of/);
  });

  it("round-trips through toJSON / importTestKeys (the CLI's --keys file)", () => {
    const json = JSON.parse(JSON.stringify(keys));
    assert.equal(json.audience, "my-service");
    assert.ok(
      json.keys.every((jwk: { d?: string }) => typeof jwk.d === "string"),
      "the file holds the private halves",
    );
    const imported = importTestKeys(json);
    assert.deepEqual(imported.jwks, keys.jwks);
    const delivery = imported.signV1a("{}", { id: "msg_c", timestamp: 1_800_000_000 });
    assert.ok(verifyV1a(keys, `msg_c.1800000000.{}`, delivery.headers["webhook-signature"]!.slice(4)));
    assert.throws(() => importTestKeys({ audience: "a", keys: keys.jwks.keys }), /private JWK/);
    assert.throws(() => importTestKeys({} as never), TypeError);
  });
});

describe("dynamic deliveries through the real receiver", () => {
  const keys = createTestKeys({ audience: "my-service" });

  async function receiverWith(jwks: { keys?: TestKeys["jwks"]; url?: string; audience: string }) {
    const seen: { event: AnyGeminiEvent; ctx: DeliveryContext }[] = [];
    const webhooks = geminiWebhooks({ jwks });
    webhooks.onAny((event, ctx) => void seen.push({ event, ctx }));
    const server = await listen(express().use("/hook", webhooks));
    return { seen, url: `${server.url}/hook`, close: () => server.close() };
  }

  it("accepts v1a and JWTs of every algorithm against the local key set; handlers see the scheme", async () => {
    const receiver = await receiverWith({ keys: keys.jwks, audience: keys.audience });
    try {
      const deliveries = [
        ["v1a", keys.signV1a(sampleEvent("video.generated"))],
        ["jwt", await keys.signJwt(sampleEvent("batch.failed"))],
        ["jwt", await keys.signJwt(sampleEvent("batch.failed"), { algorithm: "ES256" })],
        ["jwt", await keys.signJwt(sampleEvent("batch.failed"), { algorithm: "EdDSA", bindBody: true })],
      ] as const;
      for (const [scheme, delivery] of deliveries) {
        const answer = await post(receiver.url, delivery);
        assert.equal(answer.status, 200, `${scheme}: ${JSON.stringify(answer.json)}`);
        const call = receiver.seen.find((entry) => entry.ctx.webhookId === delivery.headers["webhook-id"]);
        assert.equal(call?.ctx.scheme, scheme);
        assert.deepEqual(call?.event, JSON.parse(delivery.body));
      }
    } finally {
      await receiver.close();
    }
  });

  it("is refused when forged, aimed at another audience, or (with bindBody) carrying another body", async () => {
    const receiver = await receiverWith({ keys: keys.jwks, audience: keys.audience });
    try {
      const stranger = createTestKeys({ audience: keys.audience });
      const bound = await keys.signJwt(sampleEvent("batch.succeeded"), { bindBody: true });
      const tampered = {
        ...bound,
        body: JSON.stringify(sampleEvent("batch.succeeded", { data: { output_file_uri: "gs://evil/x" } })),
      };
      const refused = [
        stranger.signV1a(sampleEvent("batch.succeeded")),
        await stranger.signJwt(sampleEvent("batch.succeeded")),
        await keys.signJwt(sampleEvent("batch.succeeded"), { audience: "someone-else" }),
        tampered,
      ];
      for (const delivery of refused) {
        const answer = await post(receiver.url, delivery);
        assert.deepEqual([answer.status, answer.json.error], [401, "invalid_signature"]);
      }
      assert.equal(receiver.seen.length, 0);
    } finally {
      await receiver.close();
    }
  });

  it("verifies through startJwksServer with a single key-set fetch", async () => {
    const jwksServer = await startJwksServer(keys.jwks);
    const receiver = await receiverWith({ url: jwksServer.url, audience: keys.audience });
    try {
      for (const delivery of [
        keys.signV1a(sampleEvent("batch.expired")),
        await keys.signJwt(sampleEvent("batch.expired")),
      ]) {
        assert.equal((await post(receiver.url, delivery)).status, 200);
      }
      assert.equal(jwksServer.requestCount, 1);
    } finally {
      await receiver.close();
      await jwksServer.close();
    }
  });
});

describe("startJwksServer", () => {
  it("serves the public key set on loopback, counts fetches, can rotate and fail", async () => {
    const keys = createTestKeys();
    const server = await startJwksServer(keys.jwks);
    try {
      assert.match(server.url, /^http:\/\/127\.0\.0\.1:\d+\/\.well-known\/jwks\.json$/);
      const response = await fetch(server.url);
      assert.equal(response.status, 200);
      assert.deepEqual(await response.json(), keys.jwks);
      assert.equal(server.requestCount, 1);

      const rotated = createTestKeys();
      server.setKeys(rotated.jwks);
      assert.deepEqual(await (await fetch(server.url)).json(), rotated.jwks);

      server.setKeys(null);
      assert.equal((await fetch(server.url)).status, 503);
      assert.equal(server.requestCount, 3);
      assert.equal((await fetch(new URL("/other", server.url))).status, 404);
      assert.equal(server.requestCount, 3, "other paths are not counted");
    } finally {
      await server.close();
    }
  });

  it("refuses to serve private keys", async () => {
    await assert.rejects(startJwksServer(createTestKeys().toJSON()), /private key/);
  });
});

describe("sampleEvent", () => {
  it("gives a realistic payload for every documented type", () => {
    for (const type of GEMINI_EVENT_TYPES) {
      const event = sampleEvent(type);
      assert.equal(event.type, type);
      assert.equal(event.version, "v1");
      assert.ok(!Number.isNaN(Date.parse(event.timestamp)));
      assert.match(String(event.data.id), /^[a-z]+_[0-9a-f]+$/);
    }
    assert.match(String(sampleEvent("batch.succeeded").data.output_file_uri), /^gs:\/\//);
    assert.ok(sampleEvent("batch.failed").data.error_message.length > 0);
  });

  it("merges overrides into data and the top level, without sharing state between calls", () => {
    const event = sampleEvent("interaction.failed", {
      timestamp: "2026-02-01T00:00:00Z",
      data: { error_code: "DEADLINE_EXCEEDED" },
    });
    assert.equal(event.timestamp, "2026-02-01T00:00:00Z");
    assert.equal(event.data.error_code, "DEADLINE_EXCEEDED");
    assert.equal(event.data.id, sampleEvent("interaction.failed").data.id);
    event.data.id = "changed";
    assert.notEqual(sampleEvent("interaction.failed").data.id, "changed");
  });

  it("is typed per event type, and refuses unknown types", () => {
    const succeeded = sampleEvent("batch.succeeded");
    const uri: string | undefined = succeeded.data.output_file_uri;
    assert.ok(uri);
    // @ts-expect-error batch.cancelled carries no output_file_uri
    assert.equal(sampleEvent("batch.cancelled").data.output_file_uri, undefined);
    // @ts-expect-error not a documented type
    assert.throws(() => sampleEvent("batch.unknown"), /unknown event type "batch.unknown"/);
  });
});

describe("generateSecret", () => {
  it("makes distinct whsec_ secrets that pass the receiver's option check and verify with standardwebhooks", async () => {
    const secret = generateSecret();
    assert.match(secret, /^whsec_[A-Za-z0-9+/]{32}$/);
    assert.notEqual(generateSecret(), secret);
    assertUsableSecret(secret, "secret");
    const delivery = signDelivery(sampleEvent("batch.expired"), { secret });
    assert.deepEqual(new Webhook(secret).verify(delivery.body, delivery.headers), sampleEvent("batch.expired"));
  });
});

describe("the gemini-webhooks-express/testing subpath (built package)", () => {
  it("loads from import and from require, and signs deliveries the receiver accepts", async () => {
    const esm = await import("gemini-webhooks-express/testing");
    const cjs = createRequire(import.meta.url)("gemini-webhooks-express/testing") as typeof esm;
    for (const kit of [esm, cjs]) {
      const delivery: SignedDelivery = kit.signDelivery(kit.sampleEvent("batch.succeeded"), { secret: SECRET });
      assert.deepEqual(new Webhook(SECRET).verify(delivery.body, delivery.headers), sampleEvent("batch.succeeded"));
      assert.equal(typeof kit.createTestKeys, "function");
      assert.equal(typeof kit.startJwksServer, "function");
      // One way per thing: dynamic deliveries are signed with the key set's methods (keys.signV1a, keys.signJwt) only.
      for (const removed of ["signV1a", "signJwt"]) assert.equal(removed in kit, false, removed);
    }
  });
});

describe("README", () => {
  it("shows test/readme-handler-test.test.ts, the tested example, verbatim", () => {
    const example = readFileSync(new URL("./readme-handler-test.test.ts", import.meta.url), "utf8").trim();
    const readme = readFileSync(new URL("../docs/testing.md", import.meta.url), "utf8");
    assert.ok(readme.includes(example), "docs/testing.md's test example matches test/readme-handler-test.test.ts");
  });
});

function verifyV1a(keys: TestKeys, content: string, signature: string): boolean {
  const jwk = keys.jwks.keys.find((key) => key.crv === "Ed25519")!;
  return verifySignature(
    null,
    Buffer.from(content),
    createPublicKey({ key: jwk as never, format: "jwk" }),
    Buffer.from(signature, "base64"),
  );
}

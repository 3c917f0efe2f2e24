// What one unauthenticated request may cost, whatever the key set's size and however many entries its
// header carries (issue 12 finding 6): public-key verifications are counted at node:crypto / WebCrypto.
import assert from "node:assert/strict";
import crypto from "node:crypto";
import { syncBuiltinESMExports } from "node:module";
import { after, before, describe, mock, test } from "node:test";
import { geminiWebhooks } from "../src/index.js";
import { MAX_V1A_ENTRIES, MAX_V1A_VERIFICATIONS } from "../src/verify/ed25519.js";
import { MAX_JWT_ENTRIES } from "../src/verify/index.js";
import { MAX_JWT_KEYS_PER_TOKEN } from "../src/verify/jwt.js";
import { callMiddleware } from "./support/fake-http.js";
import { keySet, makeKey, signJwt, v1aSignature, type TestKey } from "./support/signer.js";

const NOW = 1_800_000_000;
const AUDIENCE = "bounds";
const BODY = Buffer.from(
  JSON.stringify({ type: "batch.succeeded", data: { id: "batches/1", output_file_uri: "gs://b/r" } }),
);
const KEY_COUNT = 200;

// Ed25519 v1a runs through crypto.verify (thread pool), JWTs through jose's WebCrypto: count both.
let ed25519Checks = 0;
let webCryptoChecks = 0;
before(() => {
  const verify = crypto.verify;
  mock.method(crypto, "verify", (...args: Parameters<typeof verify>) => {
    ed25519Checks++;
    return (verify as (...a: unknown[]) => unknown)(...args);
  });
  syncBuiltinESMExports(); // so `import { verify } from "node:crypto"` sees the counting one
  const subtle = crypto.webcrypto.subtle;
  const subtleVerify = subtle.verify.bind(subtle) as (...args: unknown[]) => Promise<boolean>;
  mock.method(subtle, "verify", (...args: unknown[]) => {
    webCryptoChecks++;
    return subtleVerify(...args);
  });
});
after(() => {
  mock.restoreAll();
  syncBuiltinESMExports();
});

async function checksFor(
  send: () => Promise<{ status: number }>,
): Promise<{ status: number; ed25519: number; jwt: number }> {
  const [ed, jwt] = [ed25519Checks, webCryptoChecks];
  const { status } = await send();
  return { status, ed25519: ed25519Checks - ed, jwt: webCryptoChecks - jwt };
}

function receiverWith(keys: TestKey[]) {
  const receiver = geminiWebhooks({
    jwks: { keys: keySet(...keys), audience: AUDIENCE, cooldownMs: 0 },
    now: () => NOW * 1000,
  });
  const handled: string[] = [];
  receiver.onAny((_event, ctx) => void handled.push(ctx.webhookId));
  receiver.onError(() => {});
  const send = (id: string, signature: string) =>
    callMiddleware(receiver, {
      headers: [
        ["webhook-id", id],
        ["webhook-timestamp", String(NOW)],
        ["webhook-signature", signature],
      ],
      body: BODY,
      mode: "bufferBody",
    });
  return { send, handled };
}

const v1a = (key: TestKey, id: string, body = BODY) => `v1a,${v1aSignature(key.privateKey, id, NOW, body)}`;

describe(`a set of ${KEY_COUNT} Ed25519 keys`, () => {
  const keys = Array.from({ length: KEY_COUNT }, () => makeKey("EdDSA", null));
  const stranger = makeKey("EdDSA", null);

  test(`a forged v1a header costs at most ${MAX_V1A_VERIFICATIONS} verifications, however many entries it has`, async () => {
    const { send } = receiverWith(keys);
    for (const entries of [1, 2, MAX_V1A_ENTRIES, 10]) {
      const header = Array.from({ length: entries }, () => v1a(stranger, "msg_forged")).join(" ");
      const cost = await checksFor(() => send("msg_forged", header));
      assert.equal(cost.status, 401);
      assert.ok(cost.ed25519 <= MAX_V1A_VERIFICATIONS, `${entries} entries cost ${cost.ed25519} verifications`);
      assert.ok(cost.ed25519 >= Math.min(entries, MAX_V1A_ENTRIES), "every entry tried still gets tried");
    }
  });

  test("a key beyond one request's budget is still reached within a few deliveries, then costs one verification", async () => {
    const { send, handled } = receiverWith(keys);
    const signer = keys[150]!;
    const bound = Math.ceil((KEY_COUNT - 1) / (MAX_V1A_VERIFICATIONS - 1)) + 1;
    let attempts = 0;
    while (handled.length === 0 && attempts < bound) {
      const id = `msg_rotated_${++attempts}`;
      const answer = await send(id, v1a(signer, id));
      assert.ok(answer.status === 200 || answer.status === 401, String(answer.status));
    }
    assert.equal(handled.length, 1, `not verified within ${bound} deliveries (Gemini retries a refused one)`);
    const cost = await checksFor(() => send("msg_next", v1a(signer, "msg_next")));
    assert.deepEqual([cost.status, cost.ed25519], [200, 1], "the key that verified last is tried first");
  });

  test(`a kid-less JWT is tried against at most ${MAX_JWT_KEYS_PER_TOKEN} keys, ${MAX_JWT_ENTRIES} tokens at most per header`, async () => {
    const { send } = receiverWith(keys);
    const token = () => signJwt({ aud: AUDIENCE, iat: NOW, exp: NOW + 300 }, { key: stranger, kid: undefined });
    const cost = await checksFor(() => send("msg_jwt", [token(), token(), token()].join(" ")));
    assert.equal(cost.status, 401);
    assert.ok(cost.jwt <= MAX_JWT_ENTRIES * MAX_JWT_KEYS_PER_TOKEN, `cost ${cost.jwt} verifications`);
    assert.ok(cost.jwt >= 1);
  });
});

describe("a set shaped like Gemini's (three Ed25519 keys, no kid) loses nothing to the bounds", () => {
  const keys = [makeKey("EdDSA", null), makeKey("EdDSA", null), makeKey("EdDSA", null)];
  const stranger = makeKey("EdDSA", null);

  test(`each key verifies at once, also as the last of ${MAX_V1A_ENTRIES} entries`, async () => {
    const { send, handled } = receiverWith(keys);
    for (const [index, key] of keys.entries()) {
      const id = `msg_gemini_${index}`;
      const header = [v1a(stranger, id), v1a(stranger, id), v1a(key, id)].join(" ");
      assert.equal((await send(id, header)).status, 200);
    }
    assert.equal(handled.length, keys.length);
  });
});

describe("a JWT whose kid names its key costs one verification, whatever the set's size", () => {
  const named = Array.from({ length: 50 }, (_, i) => makeKey("EdDSA", `ed-${i}`));

  test("kid picks the key", async () => {
    const { send, handled } = receiverWith(named);
    const token = signJwt({ aud: AUDIENCE, iat: NOW, exp: NOW + 300, jti: "msg_kid" }, { key: named[42]! });
    const cost = await checksFor(() => send("msg_kid", token));
    assert.deepEqual([cost.status, cost.jwt], [200, 1]);
    assert.deepEqual(handled, ["msg_kid"]);
  });
});

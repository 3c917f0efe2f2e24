// v1 is verified with node:crypto over the raw bytes; standardwebhooks (the reference implementation) is
// what it is checked against: the same verdict on every UTF-8 body, and, where the reference cannot see
// bytes (it hashes the body decoded as text), the verdict over the bytes that were actually signed.
import assert from "node:assert/strict";
import { isUtf8 } from "node:buffer";
import { readFileSync } from "node:fs";
import { describe, test } from "node:test";
import fc from "fast-check";
import { Webhook } from "standardwebhooks";
import { geminiWebhooks } from "../src/index.js";
import { nodeCrypto } from "../src/crypto/node.js";
import { createHmacVerifier } from "../src/verify/hmac.js";
import { parseSignatureHeader } from "../src/verify/signature-list.js";
import { callMiddleware } from "./support/fake-http.js";
import { hmacSignature } from "./support/signer.js";

const vectors = JSON.parse(readFileSync(new URL("./fixtures/standard-webhooks-vectors.json", import.meta.url), "utf8"));
const official = vectors.official[0] as {
  secret: string;
  id: string;
  timestamp: number;
  payload: string;
  expected_signature: string;
};

function oursAccepts(secret: string, id: string, timestamp: number, body: Buffer, header: string): boolean {
  return createHmacVerifier([secret], nodeCrypto)(parseSignatureHeader(header), id, timestamp, body) === 0;
}

/** The reference's own verdict (its verify() checks the timestamp against the real clock: give it a fresh one). */
function referenceAccepts(secret: string, id: string, timestamp: number, body: Buffer, header: string): boolean {
  try {
    new Webhook(secret).verify(
      body,
      { "webhook-id": id, "webhook-timestamp": String(timestamp), "webhook-signature": header },
      { jsonParse: false },
    );
    return true;
  } catch {
    return false;
  }
}

const secretArb = fc
  .uint8Array({ minLength: 16, maxLength: 64 })
  .map((bytes) => `whsec_${Buffer.from(bytes).toString("base64")}`);
const idArb = fc.string({
  unit: fc.constantFrom(..."abcdefghijklmnopqrstuvwxyz0123456789_-"),
  minLength: 1,
  maxLength: 40,
});
const utf8Body = fc.string({ unit: "grapheme", maxLength: 300 }).map((text) => Buffer.from(text, "utf8"));
const anyBytes = fc.uint8Array({ maxLength: 300 }).map((bytes) => Buffer.from(bytes));

/** A candidate entry: the genuine signature, or one character of it changed, or a lenient-decoder spelling of it. */
const candidate = fc.constantFrom(
  "genuine",
  "one char changed",
  "no padding",
  "base64url",
  "junk char inside",
  "other version",
);
function spell(kind: string, signature: string, at: number): string {
  switch (kind) {
    case "genuine":
      return `v1,${signature}`;
    case "one char changed": {
      const i = at % (signature.length - 1); // the last character is "=" padding
      return `v1,${signature.slice(0, i)}${signature[i] === "A" ? "B" : "A"}${signature.slice(i + 1)}`;
    }
    case "no padding":
      return `v1,${signature.replace(/=+$/, "")}`;
    case "base64url":
      return `v1,${Buffer.from(signature, "base64").toString("base64url")}`;
    case "junk char inside":
      return `v1,${signature.slice(0, 10)}!${signature.slice(10)}`;
    default:
      return `v2,${signature}`;
  }
}

describe("v1 with node:crypto, against standardwebhooks as the reference", () => {
  test("the official vector verifies, and so does each derived one", () => {
    assert.equal(
      oursAccepts(
        official.secret,
        official.id,
        official.timestamp,
        Buffer.from(official.payload),
        official.expected_signature,
      ),
      true,
    );
    const derived = vectors.derived_by_research_helper_NOT_OFFICIAL;
    for (const c of derived.cases) {
      assert.equal(
        oursAccepts(
          derived.secret,
          derived.id,
          derived.timestamp,
          Buffer.from(c.payload, "utf8"),
          c.expected_signature,
        ),
        true,
      );
    }
  });

  test("property: on UTF-8 bodies ours and the reference agree on every candidate signature", () => {
    const timestamp = Math.floor(Date.now() / 1000);
    fc.assert(
      fc.property(secretArb, idArb, utf8Body, candidate, fc.nat(), (secret, id, body, kind, at) => {
        const signature = new Webhook(secret).sign(id, new Date(timestamp * 1000), body).slice("v1,".length);
        const header = spell(kind, signature, at);
        const reference = referenceAccepts(secret, id, timestamp, body, header);
        assert.equal(oursAccepts(secret, id, timestamp, body, header), reference, `${kind}: ${header}`);
        assert.equal(reference, kind === "genuine");
      }),
      { numRuns: 600 },
    );
  });

  test("property: on any bytes, ours accepts exactly the HMAC of those bytes, and the reference's signature only where the bytes are UTF-8", () => {
    fc.assert(
      fc.property(secretArb, idArb, fc.oneof(anyBytes, utf8Body), (secret, id, body) => {
        const timestamp = 1_800_000_000;
        // Signed over the bytes, independently of both verifiers.
        assert.equal(
          oursAccepts(secret, id, timestamp, body, `v1,${hmacSignature(secret, id, timestamp, body)}`),
          true,
        );
        // The reference signs the body decoded as text: for bytes that are not UTF-8 that is other content.
        const referenceSignature = new Webhook(secret).sign(id, new Date(timestamp * 1000), body);
        assert.equal(oursAccepts(secret, id, timestamp, body, referenceSignature), isUtf8(body));
      }),
      { numRuns: 600 },
    );
  });

  test("why the UTF-8 check is retired: the reference gives a U+FFFD body and its 0xFF twin one signature; ours tells them apart", () => {
    const { secret, id, timestamp } = official;
    const genuine = Buffer.from('{"type":"batch.succeeded","note":"ok \uFFFD end"}', "utf8");
    const marker = Buffer.from("\uFFFD", "utf8");
    const at = genuine.indexOf(marker);
    const twin = Buffer.concat([genuine.subarray(0, at), Buffer.from([0xff]), genuine.subarray(at + marker.length)]);
    const reference = new Webhook(secret);
    const date = new Date(timestamp * 1000);
    // The collision the old workaround existed for: the reference cannot distinguish the two bodies.
    assert.equal(reference.sign(id, date, twin), reference.sign(id, date, genuine));
    // Ours hashes bytes: the genuine signature verifies the genuine body only...
    const signed = `v1,${hmacSignature(secret, id, timestamp, genuine)}`;
    assert.equal(oursAccepts(secret, id, timestamp, genuine, signed), true);
    assert.equal(oursAccepts(secret, id, timestamp, twin, signed), false);
    // ...and the twin, when genuinely signed over its own bytes, verifies too: no body is refused for being non-UTF-8.
    assert.equal(oursAccepts(secret, id, timestamp, twin, `v1,${hmacSignature(secret, id, timestamp, twin)}`), true);
  });

  test("a genuinely signed body that is not UTF-8 reaches the handler through the receiver, byte for byte", async () => {
    const { secret } = official;
    const now = 1_800_000_000;
    const receiver = geminiWebhooks({ secret, now: () => now * 1000 });
    const seen: Buffer[] = [];
    receiver.onAny((_event, ctx) => void seen.push(Buffer.from(ctx.rawBody)));
    // Valid JSON with a Latin-1 byte inside a string: not UTF-8, but these are the bytes the sender signed.
    const body = Buffer.concat([
      Buffer.from('{"type":"batch.succeeded","note":"caf'),
      Buffer.from([0xe9]),
      Buffer.from('"}'),
    ]);
    assert.equal(isUtf8(body), false);
    const answer = await callMiddleware(receiver, {
      headers: [
        ["webhook-id", "msg_latin1"],
        ["webhook-timestamp", String(now)],
        ["webhook-signature", `v1,${hmacSignature(secret, "msg_latin1", now, body)}`],
      ],
      body,
      mode: "bufferBody",
    });
    assert.deepEqual([answer.status, answer.json], [200, { status: "received" }]);
    assert.ok(seen[0]!.equals(body));
  });

  test("only the canonical base64 of the 32 bytes counts (Buffer's decoder would accept other spellings)", () => {
    const { secret, id, timestamp, payload } = official;
    const body = Buffer.from(payload);
    const value = official.expected_signature.slice("v1,".length); // "g0hM...1OE="
    // The last character before "=" carries 2 unused bits: "E" (000100) and "F" (000101) decode to the same bytes.
    const lowBitsSet = `${value.slice(0, -2)}F=`;
    assert.ok(Buffer.from(lowBitsSet, "base64").equals(Buffer.from(value, "base64")));
    for (const spelling of [
      lowBitsSet,
      value.replace(/=$/, ""),
      `${value}=`,
      `${value.slice(0, 8)}.${value.slice(8)}`,
    ]) {
      assert.equal(oursAccepts(secret, id, timestamp, body, `v1,${spelling}`), false, spelling);
    }
    assert.equal(oursAccepts(secret, id, timestamp, body, `v1,${value}`), true);
  });
});

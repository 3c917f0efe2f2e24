// The official Standard Webhooks vectors (copied into test/fixtures from the reference libraries' tests).
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { after, before, describe, it } from "node:test";
import express from "express";
import { geminiWebhooks } from "../src/index.js";
import { nodeCrypto } from "../src/crypto/node.js";
import { createHmacVerifier } from "../src/verify/hmac.js";
import { parseSignatureHeader } from "../src/verify/signature-list.js";
import { listen, post, type RunningServer } from "./support/helpers.js";

const vectors = JSON.parse(readFileSync(new URL("./fixtures/standard-webhooks-vectors.json", import.meta.url), "utf8"));
const official: Array<{
  name: string;
  secret: string;
  id: string;
  timestamp: number;
  payload: string;
  expected_signature: string;
}> = vectors.official;
const derived = vectors.derived_by_research_helper_NOT_OFFICIAL;

function verifies(secret: string, id: string, timestamp: number, payload: string, header: string): boolean {
  const verify = createHmacVerifier([secret], nodeCrypto);
  return verify(parseSignatureHeader(header), id, timestamp, Buffer.from(payload, "utf8")) === 0;
}

describe("official Standard Webhooks vectors", () => {
  for (const vector of official) {
    it(`${vector.name}: the expected signature verifies`, () => {
      assert.equal(
        verifies(vector.secret, vector.id, vector.timestamp, vector.payload, vector.expected_signature),
        true,
      );
    });
    it(`${vector.name}: a changed id, timestamp or payload does not`, () => {
      const sig = vector.expected_signature;
      assert.equal(verifies(vector.secret, vector.id + "x", vector.timestamp, vector.payload, sig), false);
      assert.equal(verifies(vector.secret, vector.id, vector.timestamp + 1, vector.payload, sig), false);
      assert.equal(verifies(vector.secret, vector.id, vector.timestamp, vector.payload + " ", sig), false);
    });
  }

  it("derived vectors (empty, non-ASCII, trailing newline) verify", () => {
    for (const c of derived.cases) {
      assert.equal(
        verifies(derived.secret, derived.id, derived.timestamp, c.payload, c.expected_signature),
        true,
        c.expected_signature,
      );
    }
  });

  it("any one valid v1 entry among decoys verifies; decoys alone do not", () => {
    const [first, second] = official;
    const decoys: string[] = vectors.official_negative_fixtures[0].decoys;
    const header = [...decoys, first!.expected_signature].join(" ");
    assert.equal(verifies(first!.secret, first!.id, first!.timestamp, first!.payload, header), true);
    assert.equal(verifies(first!.secret, first!.id, first!.timestamp, first!.payload, decoys.join(" ")), false);
    const rustDecoys: string[] = vectors.official_negative_fixtures[1].decoys;
    assert.equal(verifies(second!.secret, second!.id, second!.timestamp, second!.payload, rustDecoys.join(" ")), false);
    assert.equal(
      verifies(
        second!.secret,
        second!.id,
        second!.timestamp,
        second!.payload,
        [...rustDecoys, second!.expected_signature].join(" "),
      ),
      true,
    );
  });

  it("invalid and partial signatures fail", () => {
    const v = official[0]!;
    const cases: string[] = vectors.official_negative_fixtures[2].cases.map((c: string) =>
      c.startsWith("<first 8") ? v.expected_signature.slice(0, 8) : c,
    );
    for (const header of cases) {
      let ok: boolean;
      try {
        ok = verifies(v.secret, v.id, v.timestamp, v.payload, header);
      } catch {
        ok = false; // unparseable header: rejected as invalid_headers by the receiver
      }
      assert.equal(ok, false, header);
    }
  });
});

describe("official vectors through the receiver (clock set to the vector's time)", () => {
  let server: RunningServer;
  const seen: string[] = [];
  before(async () => {
    const app = express();
    for (const [index, vector] of official.entries()) {
      const webhooks = geminiWebhooks({ secret: vector.secret, now: () => vector.timestamp * 1000 + 1234 });
      webhooks.onAny((_event, ctx) => void seen.push(ctx.webhookId));
      app.use(`/v${index}`, webhooks);
    }
    server = await listen(app);
  });
  after(() => server.close());

  it("accepts each vector's exact delivery and refuses its payload with one byte changed", async () => {
    for (const [index, vector] of official.entries()) {
      const headers = {
        "webhook-id": vector.id,
        "webhook-timestamp": String(vector.timestamp),
        "webhook-signature": vector.expected_signature,
      };
      // The vectors' payloads have no "type", so a verified vector is a 400 invalid_payload, not a 401.
      const ok = await post(`${server.url}/v${index}`, { headers, body: vector.payload });
      assert.equal(ok.status, 400);
      assert.equal(ok.json.error, "invalid_payload");
      const forged = await post(`${server.url}/v${index}`, { headers, body: vector.payload.replace("t", "T") });
      assert.equal(forged.status, 401);
      assert.equal(forged.json.error, "invalid_signature");
    }
    assert.deepEqual(seen, []);
  });
});

// The reference v1a signature (standard-webhooks pull request 308), with its public key as a JWK.
const v1aVector: {
  publicJwk: Record<string, string>;
  id: string;
  timestamp: number;
  payload: string;
  signature: string;
} = JSON.parse(readFileSync(new URL("./fixtures/standard-webhooks-v1a-vector.json", import.meta.url), "utf8"));

describe("the v1a known-answer vector through the receiver (a one-key local set, clock at the vector's time)", () => {
  let server: RunningServer;
  const seen: string[] = [];
  before(async () => {
    const webhooks = geminiWebhooks({
      jwks: { keys: { keys: [v1aVector.publicJwk] } },
      now: () => v1aVector.timestamp * 1000 + 1234,
    });
    webhooks.onAny((_event, ctx) => void seen.push(ctx.webhookId));
    webhooks.onError(() => {});
    const app = express();
    app.use("/v1a", webhooks);
    server = await listen(app);
  });
  after(() => server.close());

  const send = (id: string, timestamp: string, body: Buffer, signature: string) =>
    post(`${server.url}/v1a`, {
      headers: { "webhook-id": id, "webhook-timestamp": timestamp, "webhook-signature": signature },
      body,
    });
  const flipByte = (bytes: Buffer, at: number) => {
    const copy = Buffer.from(bytes);
    copy[at] = copy[at]! ^ 0x01;
    return copy;
  };

  it("the reference signature verifies (its payload has no type: 400 invalid_payload, which comes after the signature)", async () => {
    const answer = await send(
      v1aVector.id,
      String(v1aVector.timestamp),
      Buffer.from(v1aVector.payload),
      v1aVector.signature,
    );
    assert.deepEqual([answer.status, answer.json.error], [400, "invalid_payload"]);
  });

  it("its decoys do not: one byte flipped in the id, the timestamp, the body or the signature", async () => {
    const { id, timestamp, payload, signature } = v1aVector;
    const signatureBytes = Buffer.from(signature.slice("v1a,".length), "base64");
    const decoys: Array<[string, string, string, Buffer, string]> = [
      ["id", flipByte(Buffer.from(id), 5).toString(), String(timestamp), Buffer.from(payload), signature],
      ["timestamp", id, flipByte(Buffer.from(String(timestamp)), 9).toString(), Buffer.from(payload), signature],
      ["body", id, String(timestamp), flipByte(Buffer.from(payload), 3), signature],
      [
        "signature",
        id,
        String(timestamp),
        Buffer.from(payload),
        `v1a,${flipByte(signatureBytes, 17).toString("base64")}`,
      ],
    ];
    for (const [what, decoyId, decoyTimestamp, body, decoySignature] of decoys) {
      const answer = await send(decoyId, decoyTimestamp, body, decoySignature);
      assert.deepEqual([answer.status, answer.json.error], [401, "invalid_signature"], what);
    }
    assert.deepEqual(seen, []);
  });
});

// The small pure steps of the pipeline, one by one.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { geminiWebhooks, memoryStore } from "../src/index.js";
import { redisStore } from "../src/redis.js";
import { parseEvent } from "../src/parse.js";
import { readWebhookHeaders } from "../src/verify/headers.js";
import { isUsableWebhookId } from "../src/webhook-id.js";
import { parseSignatureHeader } from "../src/verify/signature-list.js";
import { checkTimestamp } from "../src/verify/timestamp.js";
import { hasCanonicalSignature } from "../src/verify/jwt.js";
import { seededRandom } from "./support/seeded-random.js";

const code = (fn: () => unknown) => {
  try {
    fn();
  } catch (error) {
    return (error as { code?: string }).code;
  }
  return "ok";
};

describe("JWT signature canonical check", () => {
  it("accepts exactly the signatures Buffer re-encodes unchanged (every length 0–12, seeded random ones, real RS256 length)", () => {
    const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    const random = seededRandom(0xb64);
    const signatures = ["", "A", "AA", "AB", "AQ", "AAA", "AAB", "AAE", "AAAA", "_w", "_x", "__8", "__9"];
    for (let round = 0; round < 5_000; round++) {
      const length = round < 4_000 ? Math.floor(random() * 13) : 340 + Math.floor(random() * 4);
      signatures.push(Array.from({ length }, () => alphabet[Math.floor(random() * 64)]).join(""));
    }
    let refused = 0;
    for (const signature of signatures) {
      const canonical = Buffer.from(signature, "base64url").toString("base64url") === signature;
      assert.equal(hasCanonicalSignature(`eyJh.eyJi.${signature}`), canonical, JSON.stringify(signature));
      if (!canonical) refused++;
    }
    assert.ok(
      refused > 1_000 && refused < signatures.length - 1_000,
      `both answers are exercised (${refused} refused)`,
    );
  });
});

describe("signature header", () => {
  it("splits on spaces and on Node's ', ' join, skipping empty and malformed tokens", () => {
    assert.deepEqual(parseSignatureHeader("v1,a  v1a,b, v2,c,"), [
      { version: "v1", value: "a" },
      { version: "v1a", value: "b" },
      { version: "v2", value: "c" },
    ]);
  });
  it("recognises a compact JWT", () => {
    assert.deepEqual(parseSignatureHeader("eyJh.eyJi.c2ln"), [{ version: "jwt", value: "eyJh.eyJi.c2ln" }]);
  });
  it("the one-entry fast path reads every header as the general path does (random headers, both ways)", () => {
    // A leading space changes nothing for the general path and keeps the fast path out of it.
    const alphabet = ["v", "1", "a", ",", ",", " ", "\t", "\u00a0", "\u2028", "=", "+", "/", ".", ".", "-", "_", "é"];
    const outcome = (header: string) => {
      try {
        return parseSignatureHeader(header);
      } catch (error) {
        return (error as { code: string }).code;
      }
    };
    // Seeded, so every run checks the same headers; plus the shapes the fast path must get right.
    const random = seededRandom(0x5eed);
    const headers = [
      "v1,abc",
      "v1a,x=",
      "a.b.c",
      "eyJh.eyJi.c2ln",
      "a..",
      ".b.c",
      "a.b",
      "a.b.c.d",
      "v1,a,b",
      ",v1",
      "v1,",
      "é,a",
      "a.b.é",
    ];
    for (let round = 0; round < 20_000; round++) {
      const length = 1 + Math.floor(random() * 10);
      headers.push(Array.from({ length }, () => alphabet[Math.floor(random() * alphabet.length)]).join(""));
    }
    let fastPathTaken = 0;
    let tokensSeen = 0;
    for (const header of headers) {
      assert.deepEqual(outcome(header), outcome(` ${header}`), JSON.stringify(header));
      if (/^[^\s,]+,[^\s,]+$/.test(header)) fastPathTaken++;
      if (/^[\w-]+\.[\w-]*\.[\w-]*$/.test(header)) tokensSeen++;
    }
    assert.ok(fastPathTaken > 100, `the headers exercise the one-entry fast path (${fastPathTaken})`);
    assert.ok(tokensSeen > 5, `and lone compact JWTs (${tokensSeen})`);
  });
  it("no entry at all is invalid_headers", () => {
    for (const header of ["", "   ", "v1,", ",abc", "garbage"])
      assert.equal(
        code(() => parseSignatureHeader(header)),
        "invalid_headers",
        header,
      );
  });
});

describe("webhook headers", () => {
  const valid = { "webhook-id": "msg_1", "webhook-timestamp": "1700000000", "webhook-signature": "v1,x" };
  it("a webhook-id is 1 to 256 printable ASCII characters, exactly /^[\\x21-\\x7e]{1,256}$/ (random ids)", () => {
    const pattern = /^[\x21-\x7e]{1,256}$/;
    const samples = ["", "a", "msg_1", "a b", "é", "\u0000", "~", "!", "\x7f", "a".repeat(256), "a".repeat(257)];
    for (let round = 0; round < 5_000; round++) {
      const length = Math.floor(Math.random() * 12);
      samples.push(String.fromCharCode(...Array.from({ length }, () => Math.floor(Math.random() * 0x90))));
    }
    for (const id of samples) assert.equal(isUsableWebhookId(id), pattern.test(id), JSON.stringify(id));
  });
  it("reads the three headers", () => {
    assert.deepEqual(readWebhookHeaders(valid), {
      id: "msg_1",
      timestampText: "1700000000",
      timestamp: 1700000000,
      signature: "v1,x",
    });
  });
  it("rejects missing, empty and garbled values", () => {
    assert.equal(
      code(() => readWebhookHeaders({ ...valid, "webhook-id": "" })),
      "missing_headers",
    );
    assert.equal(
      code(() => readWebhookHeaders({ ...valid, "webhook-id": undefined })),
      "missing_headers",
    );
    for (const timestamp of ["1.5", " 17", "0x10", "1e9", "9".repeat(13)]) {
      assert.equal(
        code(() => readWebhookHeaders({ ...valid, "webhook-timestamp": timestamp })),
        "invalid_headers",
        timestamp,
      );
    }
    assert.equal(
      code(() => readWebhookHeaders({ ...valid, "webhook-id": "has space" })),
      "invalid_headers",
    );
  });
});

describe("timestamp", () => {
  it("is bounded in the past and in the future, inclusive at the tolerance", () => {
    const now = 1_000_000 * 1000;
    assert.equal(
      code(() => checkTimestamp(1_000_000 - 300, now, 300)),
      "ok",
    );
    assert.equal(
      code(() => checkTimestamp(1_000_000 + 300, now, 300)),
      "ok",
    );
    assert.equal(
      code(() => checkTimestamp(1_000_000 - 301, now, 300)),
      "timestamp_too_old",
    );
    assert.equal(
      code(() => checkTimestamp(1_000_000 + 301, now, 300)),
      "timestamp_too_new",
    );
    assert.equal(
      code(() => checkTimestamp(1_000_000 - 10, now, 5)),
      "timestamp_too_old",
    );
  });
});

describe("event parsing", () => {
  it("keeps unknown fields and types untouched", () => {
    const event = parseEvent(Buffer.from('{"type":"x.y","data":{"a":1},"extra":true}'), "id");
    assert.deepEqual(event, { type: "x.y", data: { a: 1 }, extra: true });
  });
});

describe("memory store", () => {
  it("claims once, reports in-flight, done after complete, free again after release", () => {
    const store = memoryStore();
    assert.equal(store.claim("a"), "claimed");
    assert.equal(store.claim("a"), "in-flight");
    store.complete("a");
    assert.equal(store.claim("a"), "done");
    assert.equal(store.claim("b"), "claimed");
    store.release("b");
    assert.equal(store.claim("b"), "claimed");
  });
  it("release never forgets a completed id", () => {
    const store = memoryStore();
    store.claim("a");
    store.complete("a");
    store.release("a");
    assert.equal(store.claim("a"), "done");
  });
  it("is bounded by max", () => {
    const store = memoryStore({ max: 2 });
    for (const id of ["a", "b", "c"]) {
      store.claim(id);
      store.complete(id);
    }
    assert.equal(store.claim("a"), "claimed", "the least recently used id was evicted");
    assert.equal(store.claim("c"), "done");
  });
  it("remembers the newest max handled ids, forgetting the least recently seen first", () => {
    const max = 10;
    const store = memoryStore({ max });
    const handled = (id: string) => {
      assert.equal(store.claim(id), "claimed");
      store.complete(id);
    };
    for (let i = 0; i < 15; i++) handled(`id${i}`);
    for (let i = 5; i < 15; i++) assert.equal(store.claim(`id${i}`), "done", `id${i} is among the newest ${max}`);
    // (Each claim below is new, so it becomes in flight: checked last.)
    for (let i = 0; i < 5; i++)
      assert.equal(store.claim(`id${i}`), "claimed", `id${i} is older than the newest ${max}`);
  });
  it("never evicts a claim in flight, however many ids are handled meanwhile (a copy gets in-flight, not a second run)", () => {
    const store = memoryStore({ max: 10 });
    assert.equal(store.claim("slow"), "claimed");
    for (let i = 0; i < 50; i++) {
      assert.equal(store.claim(`other${i}`), "claimed");
      store.complete(`other${i}`);
    }
    assert.equal(store.claim("slow"), "in-flight");
    store.complete("slow");
    assert.equal(store.claim("slow"), "done");
  });
  it("keeps each id's TTL exact, and expires claims in flight after inFlightTtlMs", () => {
    let clock = 1;
    const store = memoryStore({ ttlMs: 1_000, inFlightTtlMs: 100, now: () => clock });
    assert.equal(store.claim("early"), "claimed");
    store.complete("early"); // done for 1 000 ms
    clock = 901;
    assert.equal(store.claim("late"), "claimed");
    store.complete("late"); // done for 1 000 ms
    clock = 1_501;
    assert.equal(store.claim("fresh"), "claimed");
    assert.equal(store.claim("early"), "claimed", "older than its 1 000 ms TTL");
    assert.equal(store.claim("late"), "done", "still within its own TTL");
    clock = 1_651;
    assert.equal(store.claim("fresh"), "claimed", "its claim expired after 100 ms");
    clock = 1_902;
    assert.equal(store.claim("late"), "claimed", "older than its 1 000 ms TTL");
  });
  it("rejects bad options", () => {
    assert.throws(() => memoryStore({ max: 0 }), /max/);
    assert.throws(() => memoryStore({ ttlMs: -1 }), /ttlMs/);
    assert.throws(() => memoryStore({ now: 5 as never }), /memoryStore: option "now" must be a function/);
    assert.throws(() => memoryStore(null as never), /memoryStore\(options\): options must be an object/);
  });
  it("rejects unknown options, such as a misspelt TTL that would silently keep the default", () => {
    assert.throws(() => memoryStore({ ttl: 5_000 } as never), {
      name: "TypeError",
      message: 'memoryStore: unknown option "ttl" (the options are: max, ttlMs, inFlightTtlMs, maxTracked, now).',
    });
  });
});

describe("option checks name the function that was called and the option", () => {
  const SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
  const sendCommand = async () => null;
  const cases: Array<[string, () => unknown, string]> = [
    [
      "geminiWebhooks",
      () => geminiWebhooks({ secret: SECRET, maxBodyBytes: 0 }),
      'geminiWebhooks: option "maxBodyBytes" must be a positive number, got 0.',
    ],
    [
      "geminiWebhooks jwks",
      () => geminiWebhooks({ jwks: { audience: "a", timeoutMs: 1.5 } }),
      'geminiWebhooks: option "jwks.timeoutMs" must be a positive whole number, got 1.5.',
    ],
    [
      "geminiWebhooks jwks",
      () => geminiWebhooks({ jwks: { audience: "a", cooldownMs: -1 } }),
      'geminiWebhooks: option "jwks.cooldownMs" must be a number >= 0, got -1.',
    ],
    [
      "memoryStore",
      () => memoryStore({ max: "10" as never }),
      'memoryStore: option "max" must be a positive whole number, got "10".',
    ],
    [
      "redisStore",
      () => redisStore({ sendCommand, ttlMs: {} as never }),
      'redisStore: option "ttlMs" must be a positive whole number, got an object.',
    ],
  ];
  for (const [caller, call, message] of cases) {
    it(`${caller}: ${message}`, () => assert.throws(call, { name: "TypeError", message }));
  }
});

// The runtime-neutral core (issue 21): the Web entry answers exactly as the Node entry, the two crypto providers
// agree, the Web entry's module graph imports no node:* module, a secret may be absent until the first delivery,
// and the secret's problems are named.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { describe, it } from "node:test";
import fc from "fast-check";
import { Webhook } from "standardwebhooks";
import { base64Decode, base64Encode, utf8Encode } from "../src/bytes.js";
import { nodeCrypto } from "../src/crypto/node.js";
import { webCrypto } from "../src/crypto/web.js";
import { geminiWebhooks as nodeEntry, type WebhookError } from "../src/index.js";
import { geminiWebhooks as webEntry } from "../src/index.web.js";
import { createTestKeys } from "../src/testing/index.js";
import { decodeSecret, secretProblem } from "../src/verify/secret.js";
import { MAX_SIGNATURE_ENTRIES, parseSignatureHeader } from "../src/verify/signature-list.js";
import { answerOf, webRequest } from "./support/contract.js";
import { SECRET, batchSucceeded, signedDelivery } from "./support/helpers.js";

const URL = "http://127.0.0.1/gemini-callback";

describe("the Web entry answers as the Node entry", () => {
  it("valid, duplicate, forged, stale and malformed deliveries get the same status and body", async () => {
    const valid = signedDelivery(batchSucceeded("same-1"));
    const forged = { ...valid, headers: { ...valid.headers, "webhook-signature": `v1,${"A".repeat(43)}=` } };
    const stale = signedDelivery(batchSucceeded("same-2"), { timestamp: Math.floor(Date.now() / 1000) - 3600 });
    const noHeaders = { headers: {}, body: valid.body };
    const answers = async (make: typeof nodeEntry) => {
      const webhooks = make({ secret: SECRET });
      webhooks.on("batch.succeeded", () => {});
      const results = [];
      for (const delivery of [valid, valid, forged, stale, noHeaders]) {
        const answer = await answerOf(await webhooks.fetch(webRequest(URL, delivery)));
        results.push([answer.status, answer.json]);
      }
      return results;
    };
    const fromNode = await answers(nodeEntry);
    assert.deepEqual(
      fromNode.map(([status]) => status),
      [200, 200, 401, 401, 400],
    );
    assert.deepEqual(await answers(webEntry), fromNode);
  });

  it("v1a through the Web entry verifies with WebCrypto", async () => {
    const keys = await createTestKeys();
    const webhooks = webEntry({ jwks: { keys: keys.jwks, audience: keys.audience } });
    const seen: string[] = [];
    webhooks.on("batch.succeeded", (_event, ctx) => void seen.push(`${ctx.scheme}:${ctx.keyId !== undefined}`));
    const delivery = await keys.signV1a(batchSucceeded("web-v1a"));
    const answer = await answerOf(await webhooks.fetch(webRequest(URL, delivery)));
    assert.equal(answer.status, 200);
    assert.deepEqual(seen, ["v1a:true"]);
  });
});

describe("node:crypto and WebCrypto agree", () => {
  it("property: the same HMAC-SHA256 for any key, prefix and body", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uint8Array({ minLength: 1, maxLength: 64 }),
        fc.string(),
        fc.uint8Array({ maxLength: 512 }),
        async (key, prefix, body) => {
          const fromNode = await nodeCrypto.hmacSha256(nodeCrypto.hmacKey(key), prefix, body);
          const fromWeb = await webCrypto.hmacSha256(webCrypto.hmacKey(key), prefix, body);
          assert.deepEqual(new Uint8Array(fromWeb), new Uint8Array(fromNode));
        },
      ),
      { numRuns: 200 },
    );
  });

  it("property: the same SHA-256 for any bytes", async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 512 }), async (data) => {
        assert.deepEqual(new Uint8Array(await webCrypto.sha256(data)), new Uint8Array(await nodeCrypto.sha256(data)));
      }),
      { numRuns: 100 },
    );
  });

  it("both give the known answers: the official v1 vectors and the v1a vector", async () => {
    const fixture = (name: string) => JSON.parse(readFileSync(join(import.meta.dirname, "fixtures", name), "utf8"));
    const v1 = fixture("standard-webhooks-vectors.json").official as Array<Record<string, string>>;
    assert.ok(v1.length > 0);
    for (const provider of [nodeCrypto, webCrypto]) {
      for (const vector of v1) {
        const key = provider.hmacKey(decodeSecret(vector.secret!)!);
        const signature = await provider.hmacSha256(
          key,
          `${vector.id}.${vector.timestamp}.`,
          utf8Encode(vector.payload!),
        );
        assert.equal(`v1,${base64Encode(signature)}`, vector.expected_signature, `${provider.name}: ${vector.name}`);
      }
      const v1a = fixture("standard-webhooks-v1a-vector.json");
      const message = utf8Encode(`${v1a.id}.${v1a.timestamp}.${v1a.payload}`);
      const signature = base64Decode(String(v1a.signature).replace(/^v1a,/, ""))!;
      const key = provider.ed25519Key(v1a.publicJwk.x);
      assert.equal(await provider.verifyEd25519(key, message, signature), true, `${provider.name}: v1a vector`);
      const tampered = message.slice();
      tampered[0]! ^= 1;
      assert.equal(await provider.verifyEd25519(key, tampered, signature), false, `${provider.name}: tampered`);
    }
  });
});

describe("the Web entry imports no node:* module", () => {
  it("no static import of node:* in the built ESM graph reachable from dist/esm/index.web.js", () => {
    const seen = new Set<string>();
    const offenders: string[] = [];
    const visit = (file: string) => {
      if (seen.has(file)) return;
      seen.add(file);
      const source = readFileSync(file, "utf8");
      for (const match of source.matchAll(/^(?:import|export)\s[^;]*?from\s+"([^"]+)"/gm)) {
        const target = match[1]!;
        if (target.startsWith("node:")) offenders.push(`${file} → ${target}`);
        else if (target.startsWith(".")) visit(resolve(dirname(file), target));
      }
    };
    visit(join(process.cwd(), "dist/esm/index.web.js"));
    assert.ok(seen.size > 10, `the graph was walked (${seen.size} files)`);
    assert.deepEqual(offenders, []);
  });
});

describe("a secret absent at build time", () => {
  it("creation succeeds; each delivery is 500 secret_not_configured, reported, one console line per process", async () => {
    const logged: unknown[] = [];
    const original = console.error;
    console.error = (...args: unknown[]) => void logged.push(args.join(" "));
    try {
      const reports: WebhookError[] = [];
      const webhooks = nodeEntry({ secret: undefined }).onError((error) => void reports.push(error));
      let handled = 0;
      webhooks.on("batch.succeeded", () => void handled++);
      for (const id of ["absent-1", "absent-2"]) {
        const answer = await answerOf(await webhooks.fetch(webRequest(URL, signedDelivery(batchSucceeded(id)))));
        assert.deepEqual([answer.status, answer.json.error], [500, "secret_not_configured"]);
      }
      assert.equal(handled, 0);
      assert.deepEqual(
        reports.map((error) => error.code),
        ["secret_not_configured", "secret_not_configured"],
      );
      assert.equal(logged.length, 1);
      assert.match(String(logged[0]), /GEMINI_WEBHOOK_SECRET/);
      assert.ok(!String(logged[0]).includes(SECRET));
    } finally {
      console.error = original;
    }
  });

  it("a function is read at the first delivery and kept once it gives a usable secret", async () => {
    let value: string | undefined;
    let reads = 0;
    const webhooks = webEntry({
      secret: () => {
        reads++;
        return value;
      },
    });
    webhooks.on("batch.succeeded", () => {});
    assert.equal(reads, 0, "not read at creation");
    const before = await answerOf(await webhooks.fetch(webRequest(URL, signedDelivery(batchSucceeded("fn-1")))));
    assert.equal(before.json.error, "secret_not_configured");
    value = SECRET;
    const after = await answerOf(await webhooks.fetch(webRequest(URL, signedDelivery(batchSucceeded("fn-2")))));
    assert.equal(after.status, 200);
    await webhooks.fetch(webRequest(URL, signedDelivery(batchSucceeded("fn-3"))));
    assert.equal(reads, 2, "kept once usable");
  });

  it("a malformed secret given now is still a TypeError at creation", () => {
    assert.throws(() => nodeEntry({ secret: `${SECRET}\n` }), /option "secret" ends with a newline/);
  });
});

describe("secrets: what standardwebhooks accepts, and what is wrong named", () => {
  it("unpadded base64 is accepted and gives the library's key; the URL-safe alphabet is refused, as by the library", () => {
    const padded = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    for (const secret of [
      padded,
      "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
      "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLa",
      "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2La",
    ]) {
      assert.equal(secretProblem(secret), undefined, secret);
      assert.deepEqual(
        decodeSecret(secret),
        new Uint8Array((new Webhook(secret) as unknown as { key: Uint8Array }).key),
      );
    }
    const urlSafe = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLa-_";
    assert.throws(() => new Webhook(urlSafe));
    assert.match(secretProblem(urlSafe)!, /URL-safe/);
  });

  it("each usual slip gets a message naming it, never the secret", () => {
    const cases: Array<[string, RegExp]> = [
      [`${SECRET}\n`, /ends with a newline/],
      [` ${SECRET}`, /whitespace/],
      [`"${SECRET}"`, /quotes/],
      ["whsec_AAAA", /too short/],
      ["whsec_not!base64", /not a valid signing secret/],
    ];
    for (const [secret, expected] of cases) {
      assert.throws(
        () => nodeEntry({ secret }),
        (error: Error) =>
          error instanceof TypeError &&
          expected.test(error.message) &&
          error.message.startsWith('geminiWebhooks: option "secret"') &&
          !error.message.includes(secret.trim().replace(/"/g, "")),
      );
    }
  });
});

describe("hardening", () => {
  it("a Request whose body another reader locked is 500 raw_body_unavailable, not handler_failed", async () => {
    const webhooks = nodeEntry({ secret: SECRET });
    const request = webRequest(URL, signedDelivery(batchSucceeded("locked")));
    request.body!.getReader();
    const answer = await answerOf(await webhooks.fetch(request));
    assert.deepEqual([answer.status, answer.json.error], [500, "raw_body_unavailable"]);
  });

  it("a header of 5 000 entries is parsed no further than MAX_SIGNATURE_ENTRIES", () => {
    const header = Array.from({ length: 5000 }, () => `v1a,${"A".repeat(86)}==`).join(" ");
    assert.equal(parseSignatureHeader(header, "id").length, MAX_SIGNATURE_ENTRIES);
  });

  it("a JWT refused on its audience alone names the token's aud in onError, not in the answer", async () => {
    const keys = await createTestKeys({ audience: "someone-else" });
    const reports: WebhookError[] = [];
    const webhooks = nodeEntry({ jwks: { keys: keys.jwks, audience: "my-service" } }).onError(
      (error) => void reports.push(error),
    );
    const delivery = await keys.signJwt(batchSucceeded("aud"));
    const answer = await answerOf(await webhooks.fetch(webRequest(URL, delivery)));
    assert.equal(answer.status, 401);
    assert.ok(!JSON.stringify(answer.json).includes("someone-else"));
    assert.match(reports[0]!.detail!, /the token's aud is "someone-else"/);
  });
});

// The jwks option is checked at creation: a bad one throws a TypeError naming it.
import { test } from "node:test";
import assert from "node:assert/strict";
import { generateKeyPairSync } from "node:crypto";
import { geminiWebhooks, GEMINI_JWKS_URL, DEFAULT_JWT_ALGORITHMS, type GeminiWebhooksOptions } from "../src/index.js";
import { resolveOptions } from "../src/options.js";
import { SECRET } from "./support/helpers.js";

const edPublic = generateKeyPairSync("ed25519").publicKey.export({ format: "jwk" });

function rejects(options: unknown, pattern: RegExp) {
  assert.throws(
    () => geminiWebhooks(options as GeminiWebhooksOptions),
    (error: unknown) => {
      assert.ok(error instanceof TypeError, `expected a TypeError, got ${String(error)}`);
      assert.match(error.message, pattern);
      return true;
    },
  );
}

test("jwks alone is enough; secret alone still works; neither defers the check to the first delivery", () => {
  assert.equal(typeof geminiWebhooks({ jwks: { audience: "my-service" } }), "function");
  assert.equal(typeof geminiWebhooks({ secret: SECRET }), "function");
  // A build without the variable (`next build`): creation succeeds, deliveries get 500 secret_not_configured
  // (test/runtime-core.test.ts sends them).
  assert.equal(typeof resolveOptions({}).secrets, "function");
  assert.equal(typeof resolveOptions({ jwks: undefined }).secrets, "function");
});

test("defaults", () => {
  const { jwks, secrets } = resolveOptions({ jwks: {} });
  assert.deepEqual(secrets, []);
  assert.equal(jwks!.url!.href, GEMINI_JWKS_URL);
  assert.equal(jwks!.keys, undefined);
  assert.equal(jwks!.audience, undefined);
  assert.equal(jwks!.issuer, undefined);
  assert.deepEqual(jwks!.algorithms, ["RS256", "ES256", "EdDSA"]);
  assert.deepEqual(DEFAULT_JWT_ALGORITHMS, ["RS256", "ES256", "EdDSA"]);
  assert.equal(jwks!.cacheMaxAgeMs, 600_000);
  assert.equal(jwks!.cooldownMs, 30_000);
  assert.equal(jwks!.timeoutMs, 5_000);
  assert.equal(jwks!.staleIfErrorMs, 86_400_000);
  assert.equal(resolveOptions({ secret: SECRET }).jwks, undefined);
});

test("audience and issuer take a string or a list", () => {
  const { jwks } = resolveOptions({ jwks: { audience: "a", issuer: ["i1", "i2"] } });
  assert.deepEqual(jwks!.audience, ["a"]);
  assert.deepEqual(jwks!.issuer, ["i1", "i2"]);
  rejects({ jwks: { audience: "" } }, /jwks\.audience/);
  rejects({ jwks: { audience: [] } }, /jwks\.audience/);
  rejects({ jwks: { issuer: [1] } }, /jwks\.issuer/);
});

test("unknown jwks sub-options and non-object jwks are refused", () => {
  rejects({ jwks: { audiance: "typo" } }, /unknown option "jwks\.audiance"/);
  rejects({ jwks: "https://example.com/jwks.json" }, /"jwks" must be an object/);
  rejects({ jwks: null }, /"jwks" must be an object/);
});

test("url: https only (http for loopback), absolute, and not together with keys", () => {
  rejects({ jwks: { url: "http://example.com/jwks.json" } }, /https/);
  rejects({ jwks: { url: "/jwks.json" } }, /absolute URL/);
  rejects({ jwks: { url: 42 } }, /must be a string/);
  rejects({ jwks: { url: "https://example.com/jwks.json", keys: { keys: [edPublic] } } }, /exclude each other/);
  assert.equal(resolveOptions({ jwks: { url: "http://127.0.0.1:8080/jwks" } }).jwks!.url!.port, "8080");
  assert.equal(resolveOptions({ jwks: { url: "http://localhost/jwks" } }).jwks!.url!.hostname, "localhost");
});

test("keys: a set of public keys only", () => {
  const privateJwk = generateKeyPairSync("ed25519").privateKey.export({ format: "jwk" });
  rejects({ jwks: { keys: [edPublic] } }, /must be a key set/);
  rejects({ jwks: { keys: { keys: [] } } }, /must be a key set/);
  rejects({ jwks: { keys: { keys: [{ x: "no kty" }] } } }, /not a JWK/);
  rejects({ jwks: { keys: { keys: [privateJwk] } } }, /private or secret key/);
  rejects({ jwks: { keys: { keys: [{ kty: "oct", k: "c2VjcmV0" }] } } }, /private or secret key/);
  rejects({ jwks: { keys: { keys: [{ kty: "OKP", crv: "Ed25519", use: "enc", x: edPublic.x }] } } }, /not usable/);
  const { jwks } = resolveOptions({ jwks: { keys: { keys: [edPublic] } } });
  assert.equal(jwks!.url, undefined);
  assert.equal(jwks!.keys!.keys.length, 1);
});

test('algorithms: asymmetric only; "none" and HS* can never be configured', () => {
  for (const alg of ["none", "HS256", "HS512", "RSA-OAEP", "dir"])
    rejects({ jwks: { algorithms: [alg] } }, /asymmetric/);
  rejects({ jwks: { algorithms: [] } }, /non-empty array/);
  rejects({ jwks: { algorithms: "RS256" } }, /non-empty array/);
  assert.deepEqual(resolveOptions({ jwks: { algorithms: ["PS256", "ES384"] } }).jwks!.algorithms, ["PS256", "ES384"]);
});

test("durations and verifyClaims are checked", () => {
  rejects({ jwks: { cacheMaxAgeMs: 0 } }, /jwks\.cacheMaxAgeMs/);
  rejects({ jwks: { cooldownMs: -1 } }, /jwks\.cooldownMs/);
  rejects({ jwks: { timeoutMs: 1.5 } }, /jwks\.timeoutMs/);
  rejects({ jwks: { staleIfErrorMs: Number.NaN } }, /jwks\.staleIfErrorMs/);
  rejects({ jwks: { verifyClaims: "yes" } }, /jwks\.verifyClaims/);
  const { jwks } = resolveOptions({ jwks: { cooldownMs: 0, staleIfErrorMs: 0 } });
  assert.equal(jwks!.cooldownMs, 0);
  assert.equal(jwks!.staleIfErrorMs, 0);
});

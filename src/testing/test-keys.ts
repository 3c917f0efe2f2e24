import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  sign,
  type JsonWebKey,
  type KeyObject,
} from "node:crypto";
import { SignJWT, type JWK, type JWTPayload } from "jose";
import {
  deliveryHeaders,
  deliveryParts,
  signedContent,
  type DeliveryOptions,
  type SignedDelivery,
} from "./delivery.js";

/** The JWT algorithms a test key set can sign with (the receiver's default allow-list). */
export type TestJwtAlgorithm = "RS256" | "ES256" | "EdDSA";

/** A public key set, as served at a JWKS URL. */
export interface JsonWebKeySet {
  keys: JWK[];
}

/** Options of `createTestKeys`. */
export interface CreateTestKeysOptions {
  /** The `aud` claim of JWTs signed with this set, and what to configure as `jwks.audience`. Default `"gemini-webhooks-test"`. */
  audience?: string;
  /** The `iss` claim of JWTs signed with this set. Default: none (no `iss` claim). */
  issuer?: string;
}

/** Options of `keys.signJwt`, besides the delivery's id and timestamp. */
export interface SignJwtOptions extends DeliveryOptions {
  /** Which key signs. Default `"RS256"` (what the Gemini docs describe). */
  algorithm?: TestJwtAlgorithm;
  /** `aud` claim. Default: the key set's audience. */
  audience?: string;
  /** `iss` claim. Default: the key set's issuer, if any. */
  issuer?: string;
  /** Lifetime of the token in seconds: `exp = iat + expiresInSeconds` (negative: an already expired token). Default 300. */
  expiresInSeconds?: number;
  /** Adds a `body_sha256` claim (hex SHA-256 of the body), which binds the body to the token. Default false. */
  bindBody?: boolean;
  /** More claims, or replacements for the defaults (`iat` = the timestamp, `jti` = the webhook id). */
  claims?: JWTPayload;
}

/** The private side of a test key set, as JSON: what `toJSON()` returns and `importTestKeys()` takes (e.g. a file for the CLI's `--keys`). */
export interface TestKeysJson {
  audience: string;
  issuer?: string;
  /** Private JWKs (with `d`). Test keys only: never give these to anything but a test sender. */
  keys: JWK[];
}

/**
 * A key set like the one Gemini publishes for dynamic webhooks, with its private halves so tests can
 * sign: an Ed25519 key (for `v1a` and EdDSA JWTs; without `kid`, as Gemini's are reported to be),
 * an RSA key (RS256) and a P-256 key (ES256).
 */
export interface TestKeys {
  /** The public keys. Receiver: `jwks: { keys: testKeys.jwks, audience: testKeys.audience }`, or serve them with `startJwksServer`. */
  readonly jwks: JsonWebKeySet;
  /** The `aud` JWTs carry by default. */
  readonly audience: string;
  /** The `iss` JWTs carry by default, if any. */
  readonly issuer?: string;
  /** Signs `event` as a dynamic `v1a` (Ed25519) delivery. */
  signV1a(event: unknown, options?: DeliveryOptions): SignedDelivery;
  /** Signs `event` as a dynamic delivery whose `webhook-signature` is a compact JWT. */
  signJwt(event: unknown, options?: SignJwtOptions): Promise<SignedDelivery>;
  /** The private key set as JSON, for `importTestKeys` (e.g. written to a file for the CLI). */
  toJSON(): TestKeysJson;
}

const KEY_IDS: Record<Exclude<TestJwtAlgorithm, "EdDSA">, string> = { RS256: "test-rsa-1", ES256: "test-p256-1" };

/** Creates a new test key set (one Ed25519, one RSA-2048, one P-256 key). */
export function createTestKeys(options: CreateTestKeysOptions = {}): TestKeys {
  const ed25519 = generateKeyPairSync("ed25519").privateKey;
  const rsa = generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey;
  const p256 = generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey;
  return buildTestKeys(
    { EdDSA: ed25519, RS256: rsa, ES256: p256 },
    options.audience ?? "gemini-webhooks-test",
    options.issuer,
  );
}

/** Rebuilds a test key set from `toJSON()` output (e.g. a file written by the example app). */
export function importTestKeys(json: TestKeysJson): TestKeys {
  if (json === null || typeof json !== "object" || !Array.isArray(json.keys) || typeof json.audience !== "string") {
    throw new TypeError(
      'importTestKeys: expected { "audience": string, "keys": [private JWKs] } as written by toJSON().',
    );
  }
  const found: Partial<Record<TestJwtAlgorithm, KeyObject>> = {};
  for (const jwk of json.keys) {
    if (typeof jwk?.d !== "string") throw new TypeError('importTestKeys: every key must be a private JWK (with "d").');
    const key = createPrivateKey({ key: jwk as JsonWebKey, format: "jwk" });
    found[algorithmOf(key)] = key;
  }
  if (!found.EdDSA || !found.RS256 || !found.ES256)
    throw new TypeError("importTestKeys: expected an Ed25519, an RSA and a P-256 key.");
  return buildTestKeys(found as Record<TestJwtAlgorithm, KeyObject>, json.audience, json.issuer);
}

function algorithmOf(key: KeyObject): TestJwtAlgorithm {
  if (key.asymmetricKeyType === "ed25519") return "EdDSA";
  if (key.asymmetricKeyType === "rsa") return "RS256";
  if (key.asymmetricKeyType === "ec" && key.asymmetricKeyDetails?.namedCurve === "prime256v1") return "ES256";
  throw new TypeError(`importTestKeys: unsupported key type ${key.asymmetricKeyType}.`);
}

function buildTestKeys(
  privateKeys: Record<TestJwtAlgorithm, KeyObject>,
  audience: string,
  issuer: string | undefined,
): TestKeys {
  if (typeof audience !== "string" || audience === "") throw new TypeError("audience must be a non-empty string.");
  const describe = (alg: TestJwtAlgorithm, key: KeyObject, withPrivate: boolean): JWK => {
    const jwk = (withPrivate ? key : createPublicKey(key)).export({ format: "jwk" }) as JWK;
    const kid = alg === "EdDSA" ? undefined : KEY_IDS[alg];
    return { ...jwk, ...(kid ? { kid } : {}), alg, use: "sig" };
  };
  const algorithms = Object.keys(privateKeys) as TestJwtAlgorithm[];
  const jwks: JsonWebKeySet = { keys: algorithms.map((alg) => describe(alg, privateKeys[alg], false)) };

  const keys: TestKeys = {
    jwks,
    audience,
    issuer,
    signV1a(event, options = {}) {
      const parts = deliveryParts(event, options);
      const signature = sign(null, Buffer.from(signedContent(parts)), privateKeys.EdDSA).toString("base64");
      return { headers: deliveryHeaders(parts, `v1a,${signature}`), body: parts.body };
    },
    async signJwt(event, options = {}) {
      const parts = deliveryParts(event, options);
      const alg = options.algorithm ?? "RS256";
      const key = Object.hasOwn(privateKeys, alg) ? privateKeys[alg] : undefined;
      if (!key) throw new TypeError(`signJwt: algorithm must be one of ${algorithms.join(", ")}.`);
      const lifetime = options.expiresInSeconds ?? 300;
      const claimIssuer = options.issuer ?? issuer;
      const payload: JWTPayload = {
        aud: options.audience ?? audience,
        ...(claimIssuer !== undefined ? { iss: claimIssuer } : {}),
        iat: parts.timestamp,
        exp: parts.timestamp + lifetime,
        jti: parts.id,
        ...(options.bindBody ? { body_sha256: createHash("sha256").update(parts.body).digest("hex") } : {}),
        ...options.claims,
      };
      const kid = alg === "EdDSA" ? undefined : KEY_IDS[alg];
      const token = await new SignJWT(payload)
        .setProtectedHeader({ alg, typ: "JWT", ...(kid ? { kid } : {}) })
        .sign(key);
      return { headers: deliveryHeaders(parts, token), body: parts.body };
    },
    toJSON() {
      return {
        audience,
        ...(issuer !== undefined ? { issuer } : {}),
        keys: algorithms.map((alg) => describe(alg, privateKeys[alg], true)),
      };
    },
  };
  return Object.freeze(keys);
}

import type { JSONWebKeySet, JWK, JWTPayload } from "jose";
import { nonNegative, positive, positiveInteger, rejectUnknownOptions, type OptionNames } from "../option-checks.js";

/** Gemini's published key set for dynamic (per-request) webhooks. */
export const GEMINI_JWKS_URL = "https://generativelanguage.googleapis.com/.well-known/jwks.json";

/** JWT algorithms accepted by default. Symmetric (HS*) and `none` can never be configured. */
export const DEFAULT_JWT_ALGORITHMS = Object.freeze(["RS256", "ES256", "EdDSA"] as const);

// Asymmetric JWS algorithms a JWKS public key can verify; anything else is refused at start-up.
const ASYMMETRIC_JWT_ALGORITHMS = new Set([
  "RS256",
  "RS384",
  "RS512",
  "PS256",
  "PS384",
  "PS512",
  "ES256",
  "ES384",
  "ES512",
  "EdDSA",
  "Ed25519",
]);

/**
 * Dynamic (per-request) webhooks: `v1a` Ed25519 signatures and JWTs, verified with the public keys of
 * a JSON Web Key Set. One key set is fetched and cached per receiver and serves both schemes.
 */
export interface JwksOptions {
  /**
   * The audience(s) a JWT's `aud` must contain. Required to accept JWT deliveries: without it every
   * JWT is refused (401 `invalid_signature`, and `onError` says to set this). `v1a` does not use it.
   * No default.
   */
  audience?: string | readonly string[];
  /**
   * Where the key set is published (https; plain http only for localhost). Default
   * `"https://generativelanguage.googleapis.com/.well-known/jwks.json"`. Not allowed together with `keys`.
   */
  url?: string;
  /** A fixed key set (`{ keys: [...] }`, public keys only) used instead of `url`: no network at all. Default: none. */
  keys?: JSONWebKeySet | { keys: readonly JWK[] };
  /** The issuer(s) a JWT's `iss` must equal. Default: `iss` not checked. */
  issuer?: string | readonly string[];
  /** JWT `alg` values accepted. Default `["RS256", "ES256", "EdDSA"]`. `none` and HS* are refused. */
  algorithms?: readonly string[];
  /** How long a fetched key set is used before it is fetched again, in ms. Default 600 000 (10 min). */
  cacheMaxAgeMs?: number;
  /**
   * Least time between two fetches, in ms: an unknown key id or an unverifiable `v1a` signature
   * refetches the set at most this often, and so does a failing endpoint. Default 30 000.
   */
  cooldownMs?: number;
  /** Longest wait for the key set endpoint, in ms (whole integer). Default 5 000. */
  timeoutMs?: number;
  /**
   * How long, in ms, the last good key set keeps being used after it went stale while refreshing it
   * fails (each failure is reported through `onError`). `0` turns this off. Default 86 400 000 (24 h).
   */
  staleIfErrorMs?: number;
  /**
   * Extra checks on a verified JWT's claims and the raw body (e.g. a claim your sender binds to the
   * body). Throw (or reject) to refuse the delivery with 401 `invalid_signature`. Default: none.
   */
  verifyClaims?: (claims: JWTPayload, rawBody: Uint8Array) => void | Promise<void>;
}

/** `jwks` after checking, with defaults filled in. Exactly one of `url` and `keys` is set. */
export interface JwksConfig {
  readonly audience: readonly string[] | undefined;
  readonly url: URL | undefined;
  readonly keys: JSONWebKeySet | undefined;
  readonly issuer: readonly string[] | undefined;
  readonly algorithms: readonly string[];
  readonly cacheMaxAgeMs: number;
  readonly cooldownMs: number;
  readonly timeoutMs: number;
  readonly staleIfErrorMs: number;
  readonly verifyClaims: JwksOptions["verifyClaims"];
}

const JWKS_OPTION_NAMES: OptionNames<JwksOptions> = {
  audience: true,
  url: true,
  keys: true,
  issuer: true,
  algorithms: true,
  cacheMaxAgeMs: true,
  cooldownMs: true,
  timeoutMs: true,
  staleIfErrorMs: true,
  verifyClaims: true,
};
// Loopback is the only place a key set may come over plain http (local tests and sidecars).
const LOOPBACK_HOSTS = new Set(["localhost", "127.0.0.1", "[::1]"]);

/** True for a URL's `hostname` that never leaves the machine: where plain http carries no secret over a network. */
export function isLoopbackHostname(hostname: string): boolean {
  return LOOPBACK_HOSTS.has(hostname);
}
// JWK members that only private or secret keys have: a key set holding them is a leak, not a trust list.
export const PRIVATE_JWK_MEMBERS: readonly string[] = ["d", "p", "q", "dp", "dq", "qi", "k", "priv"];

/** Checks the `jwks` option once, at start-up; a bad value throws a TypeError naming it. */
export function resolveJwks(jwks: JwksOptions | undefined): JwksConfig | undefined {
  if (jwks === undefined) return undefined;
  if (jwks === null || typeof jwks !== "object" || Array.isArray(jwks)) {
    throw new TypeError('geminiWebhooks: option "jwks" must be an object, e.g. { audience: "my-service" }.');
  }
  rejectUnknownOptions(jwks, JWKS_OPTION_NAMES, "geminiWebhooks", "jwks.");
  if (jwks.url !== undefined && jwks.keys !== undefined) {
    throw new TypeError(
      'geminiWebhooks: options "jwks.url" and "jwks.keys" exclude each other: give a URL or a key set.',
    );
  }
  if (jwks.verifyClaims !== undefined && typeof jwks.verifyClaims !== "function") {
    throw new TypeError('geminiWebhooks: option "jwks.verifyClaims" must be a function (claims, rawBody) => void.');
  }
  const keys = jwks.keys === undefined ? undefined : resolveKeySet(jwks.keys);
  return Object.freeze({
    audience: stringList(jwks.audience, "jwks.audience"),
    url: keys ? undefined : resolveJwksUrl(jwks.url ?? GEMINI_JWKS_URL),
    keys,
    issuer: stringList(jwks.issuer, "jwks.issuer"),
    algorithms: resolveAlgorithms(jwks.algorithms),
    cacheMaxAgeMs: positive(jwks.cacheMaxAgeMs ?? 600_000, "jwks.cacheMaxAgeMs", "geminiWebhooks"),
    cooldownMs: nonNegative(jwks.cooldownMs ?? 30_000, "jwks.cooldownMs", "geminiWebhooks"),
    timeoutMs: positiveInteger(jwks.timeoutMs ?? 5_000, "jwks.timeoutMs", "geminiWebhooks"),
    staleIfErrorMs: nonNegative(jwks.staleIfErrorMs ?? 24 * 60 * 60 * 1000, "jwks.staleIfErrorMs", "geminiWebhooks"),
    verifyClaims: jwks.verifyClaims,
  });
}

function stringList(value: unknown, name: string): readonly string[] | undefined {
  if (value === undefined) return undefined;
  const list = typeof value === "string" ? [value] : value;
  if (!Array.isArray(list) || list.length === 0 || !list.every((item) => typeof item === "string" && item !== "")) {
    throw new TypeError(`geminiWebhooks: option "${name}" must be a non-empty string or a non-empty array of them.`);
  }
  return Object.freeze([...list] as string[]);
}

function resolveJwksUrl(url: unknown): URL {
  if (typeof url !== "string") throw new TypeError('geminiWebhooks: option "jwks.url" must be a string.');
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new TypeError(`geminiWebhooks: option "jwks.url" must be an absolute URL, got ${JSON.stringify(url)}.`);
  }
  const loopback = isLoopbackHostname(parsed.hostname);
  if (parsed.protocol !== "https:" && !(parsed.protocol === "http:" && loopback)) {
    throw new TypeError('geminiWebhooks: option "jwks.url" must use https (plain http is allowed for localhost only).');
  }
  return parsed;
}

function resolveKeySet(keys: unknown): JSONWebKeySet {
  const list = (keys as { keys?: unknown } | null)?.keys;
  if (keys === null || typeof keys !== "object" || !Array.isArray(list) || list.length === 0) {
    throw new TypeError('geminiWebhooks: option "jwks.keys" must be a key set: { keys: [ <public JWK>, ... ] }.');
  }
  list.forEach((jwk: unknown, index) => {
    if (jwk === null || typeof jwk !== "object" || typeof (jwk as JWK).kty !== "string") {
      throw new TypeError(`geminiWebhooks: "jwks.keys.keys[${index}]" is not a JWK (an object with "kty").`);
    }
    if ((jwk as JWK).kty === "oct" || PRIVATE_JWK_MEMBERS.some((member) => member in jwk)) {
      throw new TypeError(
        `geminiWebhooks: "jwks.keys.keys[${index}]" is a private or secret key; give public keys only.`,
      );
    }
  });
  return structuredClone({ keys: list }) as JSONWebKeySet;
}

function resolveAlgorithms(algorithms: unknown): readonly string[] {
  if (algorithms === undefined) return DEFAULT_JWT_ALGORITHMS;
  if (!Array.isArray(algorithms) || algorithms.length === 0) {
    throw new TypeError('geminiWebhooks: option "jwks.algorithms" must be a non-empty array, e.g. ["RS256"].');
  }
  for (const alg of algorithms) {
    if (!ASYMMETRIC_JWT_ALGORITHMS.has(alg)) {
      throw new TypeError(
        `geminiWebhooks: "jwks.algorithms" may only list asymmetric JWS algorithms (${[...ASYMMETRIC_JWT_ALGORITHMS].join(", ")}); ` +
          `${JSON.stringify(alg)} is not allowed.`,
      );
    }
  }
  return Object.freeze([...new Set(algorithms as string[])]);
}

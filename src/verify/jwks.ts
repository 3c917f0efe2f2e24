import { base64UrlEncode, utf8Encode } from "../bytes.js";
import type { CryptoProvider, Ed25519PublicKey } from "../crypto/provider.js";
import { createLocalJWKSet, createRemoteJWKSet, type JSONWebKeySet, type JWK, type JWTVerifyGetKey } from "jose";
import { WebhookError } from "../errors.js";
import { PRIVATE_JWK_MEMBERS, type JwksConfig } from "./jwks-options.js";

/** An Ed25519 public key of the set, imported once, for `v1a` signatures. */
export interface Ed25519Key {
  /**
   * The JWK's `kid`, or its RFC 7638 thumbprint when the set gives none (Gemini's keys reportedly have none):
   * the thumbprint is computed on the key's first match (a digest is asynchronous with WebCrypto).
   */
  keyId: string | undefined;
  /** The JWK's `x`: what the thumbprint is computed from. */
  readonly x: string;
  readonly key: Ed25519PublicKey;
}

/** One version of the key set. Built once per distinct set fetched, so no request imports a key. */
export interface KeySet {
  /** jose's key matcher for JWTs; it imports each key once per algorithm and caches it with this version. */
  readonly jwt: JWTVerifyGetKey;
  /** The set's Ed25519 keys usable for `v1a`, already imported. */
  readonly ed25519: readonly Ed25519Key[];
  /** The usable keys as JSON: a refresh that returns the same keys keeps this version and its imports. */
  readonly fingerprint: string;
}

/** The one source of keys of a receiver, shared by `v1a` and JWT verification. */
export interface KeySource {
  /** The key set to verify with: synchronous while the cache is fresh. Rejects with `keys_unavailable`. */
  current(): KeySet | Promise<KeySet>;
  /**
   * Called when nothing in `seen` verified a signature (an unknown `kid`, a `v1a` by an unknown key):
   * refetches unless a fetch happened within `cooldownMs`, joining a fetch already under way.
   * Resolves with a newer set to retry with, or `undefined` when there is none.
   */
  refreshForUnknownKey(seen: KeySet): Promise<KeySet | undefined>;
}

/** Receives refresh failures while the last good key set is still being served. */
export type KeyFailureReporter = (error: WebhookError) => void;

/** A local key set (no network) or a remote one (cached, refreshed, stale-if-error), per `config`. */
export function createKeySource(
  config: JwksConfig,
  now: () => number,
  report: KeyFailureReporter,
  crypto: CryptoProvider,
): KeySource {
  if (config.keys) {
    let keySet: KeySet;
    try {
      keySet = buildKeySet(config.keys, crypto);
    } catch (error) {
      throw new TypeError(`geminiWebhooks: option "jwks.keys" is not usable: ${(error as Error).message}.`);
    }
    return { current: () => keySet, refreshForUnknownKey: async () => undefined };
  }
  return new RemoteKeySource(config, now, report, crypto);
}

/**
 * jose's `createRemoteJWKSet` fetches (one request in flight at a time, a timeout, no redirects, the
 * set's shape checked); this class decides when, on the receiver's clock, and adds what jose lacks:
 * the last good set keeps serving while refreshes fail (stale-if-error), failing fetches are retried
 * at most once per cooldown instead of on every request, and keys are imported once per set version.
 */
class RemoteKeySource implements KeySource {
  private readonly remote: ReturnType<typeof createRemoteJWKSet>;
  private keySet: KeySet | undefined;
  private fetchedAt = Number.NEGATIVE_INFINITY;
  private lastAttemptAt = Number.NEGATIVE_INFINITY;
  private lastFailureAt = Number.NEGATIVE_INFINITY;
  private lastFailure: unknown;
  private refreshing: Promise<void> | undefined;

  constructor(
    private readonly config: JwksConfig,
    private readonly now: () => number,
    private readonly report: KeyFailureReporter,
    private readonly crypto: CryptoProvider,
  ) {
    this.remote = createRemoteJWKSet(config.url!, { timeoutDuration: config.timeoutMs });
  }

  current(): KeySet | Promise<KeySet> {
    const keySet = this.keySet;
    if (keySet && this.now() - this.fetchedAt < this.config.cacheMaxAgeMs) return keySet; // the hot path
    return this.currentAfterRefresh();
  }

  async refreshForUnknownKey(seen: KeySet): Promise<KeySet | undefined> {
    if (this.keySet !== seen) return this.keySet;
    if (this.refreshing) await this.refreshing;
    else if (this.now() - this.lastAttemptAt >= this.config.cooldownMs) await this.refresh();
    return this.keySet !== seen ? this.keySet : undefined;
  }

  private async currentAfterRefresh(): Promise<KeySet> {
    if (this.refreshing) await this.refreshing;
    // A failing endpoint is retried once per cooldown, not by every delivery (each would wait for the timeout).
    else if (this.now() - this.lastFailureAt >= this.config.cooldownMs) await this.refresh();
    const age = this.now() - this.fetchedAt;
    if (this.keySet && age < this.config.cacheMaxAgeMs + this.config.staleIfErrorMs) return this.keySet;
    throw new WebhookError("keys_unavailable", {
      cause: this.lastFailure,
      detail: this.keySet
        ? `the key set from ${this.config.url!.href} could not be refreshed and the last good one is older than cacheMaxAgeMs + staleIfErrorMs`
        : `the key set from ${this.config.url!.href} could not be fetched`,
    });
  }

  private refresh(): Promise<void> {
    this.refreshing ??= this.fetchOnce().finally(() => {
      this.refreshing = undefined;
    });
    return this.refreshing;
  }

  // Never rejects: the outcome is the state it leaves (a newer set, or a recorded failure).
  private async fetchOnce(): Promise<void> {
    this.lastAttemptAt = this.now();
    try {
      await this.remote.reload();
      const fetched = buildKeySet(this.remote.jwks()!, this.crypto);
      if (fetched.fingerprint !== this.keySet?.fingerprint) this.keySet = fetched;
      this.fetchedAt = this.now();
      this.lastFailure = undefined;
    } catch (cause) {
      this.lastFailureAt = this.now();
      this.lastFailure = cause;
      if (this.keySet) {
        const ageSeconds = Math.round((this.now() - this.fetchedAt) / 1000);
        this.report(
          new WebhookError("keys_unavailable", {
            cause,
            detail:
              `refreshing the key set from ${this.config.url!.href} failed; deliveries are still verified with the ` +
              `last good set, fetched ${ageSeconds} s ago, until it is older than cacheMaxAgeMs + staleIfErrorMs`,
          }),
        );
      }
    }
  }
}

/** Keeps the public signature keys (RSA, EC, OKP) and imports the Ed25519 ones. Throws if none is usable. */
export function buildKeySet(jwks: JSONWebKeySet, crypto: CryptoProvider): KeySet {
  const usable = jwks.keys.filter(isPublicSignatureKey);
  if (usable.length === 0) throw new Error("the key set holds no public signature key (RSA, EC or OKP)");
  const ed25519: Ed25519Key[] = [];
  for (const jwk of usable) {
    if (!isV1aKey(jwk)) continue;
    try {
      ed25519.push({ keyId: jwk.kid, x: jwk.x!, key: crypto.ed25519Key(jwk.x!) });
    } catch {
      // A malformed key verifies nothing; the others still serve.
    }
  }
  return { jwt: createLocalJWKSet({ keys: usable }), ed25519, fingerprint: JSON.stringify(usable) };
}

function isPublicSignatureKey(jwk: JWK): boolean {
  if (jwk === null || typeof jwk !== "object") return false;
  if (jwk.kty !== "RSA" && jwk.kty !== "EC" && jwk.kty !== "OKP") return false;
  if (PRIVATE_JWK_MEMBERS.some((member) => member in jwk)) return false;
  return jwk.use === undefined || jwk.use === "sig";
}

function isV1aKey(jwk: JWK): boolean {
  return (
    jwk.kty === "OKP" &&
    jwk.crv === "Ed25519" &&
    typeof jwk.x === "string" &&
    (jwk.alg === undefined || jwk.alg === "EdDSA" || jwk.alg === "Ed25519") &&
    (jwk.key_ops === undefined || (Array.isArray(jwk.key_ops) && jwk.key_ops.includes("verify")))
  );
}

/** RFC 7638 thumbprint of an Ed25519 JWK: a stable name for a key that has no `kid`. */
export async function thumbprint(crypto: CryptoProvider, x: string): Promise<string> {
  return base64UrlEncode(await crypto.sha256(utf8Encode(JSON.stringify({ crv: "Ed25519", kty: "OKP", x }))));
}

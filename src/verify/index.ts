import { WebhookError } from "../errors.js";
import type { WebhookHeaders } from "./headers.js";
import { createHmacVerifier } from "./hmac.js";
import type { SignatureEntry } from "./signature-list.js";

/** Which signature scheme verified a delivery. */
export type SignatureScheme = "v1" | "v1a" | "jwt";

/** What a verified signature tells about a delivery. */
export interface Verification {
  scheme: SignatureScheme;
  /** `v1`: index, in the configured `secret` list, of the secret that matched (0 = the first). */
  secretIndex?: number;
}

export type SignatureVerifier = (
  headers: WebhookHeaders,
  entries: readonly SignatureEntry[],
  body: Buffer,
) => Verification | Promise<Verification>;

export interface SignatureVerifierConfig {
  secrets: readonly string[];
}

/** Tries each configured scheme; a scheme that is not configured never accepts anything. */
export function createSignatureVerifier(config: SignatureVerifierConfig): SignatureVerifier {
  const hmac = config.secrets.length > 0 ? createHmacVerifier(config.secrets) : undefined;
  return (headers, entries, body) => {
    if (hmac) {
      const secretIndex = hmac(entries, headers.id, headers.timestamp, body);
      if (secretIndex >= 0) return { scheme: "v1", secretIndex };
    }
    throw new WebhookError("invalid_signature", { webhookId: headers.id });
  };
}

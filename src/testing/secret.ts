import { randomBytes } from "node:crypto";
import { SECRET_PREFIX } from "../verify/secret.js";

/**
 * A new random signing secret in the Standard Webhooks format: `whsec_` + base64 of 24 random bytes
 * (the length Gemini's and the reference libraries' secrets have). For development and tests only:
 * in production the secret is the one Gemini returned when the webhook was created.
 */
export function generateSecret(): string {
  return `${SECRET_PREFIX}${randomBytes(24).toString("base64")}`;
}

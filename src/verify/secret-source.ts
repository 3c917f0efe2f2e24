import { WebhookError } from "../errors.js";
import { secretProblem } from "./secret.js";

/**
 * Where the `v1` secrets come from: a list checked at creation, or a reader called at the first delivery (the
 * `secret` option given as a function, or absent without `jwks`, as while `next build` imports a route with no
 * environment). A reader returns the checked list, or throws `secret_not_configured`.
 */
export type SecretSource = readonly string[] | (() => readonly string[]);

/** The environment variable the docs and the CLI name for the secret: what an operator should look for. */
export const SECRET_VARIABLE = "GEMINI_WEBHOOK_SECRET";

let warnedOnce = false;

/**
 * A reader for a secret that may be missing until the first delivery. `read` returns the option's value now;
 * with `optional` (jwks is configured), no value means dynamic webhooks only, not a failure.
 */
export function deferredSecrets(read: () => unknown, optional: boolean): () => readonly string[] {
  return () => {
    let value: unknown;
    try {
      value = read();
    } catch (cause) {
      throw notConfigured("the secret function threw", cause);
    }
    if (value === undefined || value === null || value === "") {
      if (optional) return [];
      throw notConfigured(`no signing secret is set (is ${SECRET_VARIABLE} set in this environment?)`);
    }
    const secrets = typeof value === "string" ? [value] : value;
    if (!Array.isArray(secrets) || secrets.length === 0) {
      throw notConfigured('option "secret" must give a string or a non-empty array of strings');
    }
    secrets.forEach((secret, index) => {
      const problem = secretProblem(secret);
      if (problem !== undefined) {
        const name = secrets.length === 1 ? "secret" : `secret[${index}]`;
        throw notConfigured(`option "${name}" ${problem}`);
      }
    });
    return Object.freeze([...(secrets as string[])]);
  };
}

// Every delivery gets the 500 and an onError report; the console gets one line per process, so a missing
// variable is seen in the logs without flooding them.
function notConfigured(detail: string, cause?: unknown): WebhookError {
  if (!warnedOnce) {
    warnedOnce = true;
    console.error(
      `[gemini-webhooks] geminiWebhooks: ${detail}; deliveries are answered 500 secret_not_configured until it is.`,
    );
  }
  return new WebhookError("secret_not_configured", { detail, cause });
}

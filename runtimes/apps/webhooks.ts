// The one receiver every runtime of the matrix serves (test/runtimes.test.ts): the same options everywhere, so
// the same requests must get the same answers. The clock is pinned because the reference vectors are signed at a
// fixed time in 2021; a real app leaves `now` out.
import { geminiWebhooks, type GeminiWebhooks } from "gemini-webhooks-express";

export interface MatrixEnv {
  GEMINI_WEBHOOK_SECRET?: string | undefined;
  GEMINI_JWKS_URL?: string | undefined;
  MATRIX_NOW_MS?: string | undefined;
}

export function matrixWebhooks(env: MatrixEnv): GeminiWebhooks {
  const webhooks = geminiWebhooks({
    secret: env.GEMINI_WEBHOOK_SECRET,
    // Dynamic webhooks only where a key set is configured: without one (and without a secret) no delivery is accepted.
    ...(env.GEMINI_JWKS_URL ? { jwks: { url: env.GEMINI_JWKS_URL, audience: "runtime-matrix" } } : {}),
    now: () => Number(env.MATRIX_NOW_MS),
  });
  webhooks.on("batch.succeeded", () => {});
  return webhooks;
}

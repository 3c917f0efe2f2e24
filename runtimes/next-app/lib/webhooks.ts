import { matrixWebhooks } from "../../apps/webhooks";

// Read at `next start`, not at `next build`: the build runs with no secret in its environment.
export const webhooks = matrixWebhooks({
  GEMINI_WEBHOOK_SECRET: process.env.GEMINI_WEBHOOK_SECRET,
  GEMINI_JWKS_URL: process.env.GEMINI_JWKS_URL,
  MATRIX_NOW_MS: process.env.MATRIX_NOW_MS,
});

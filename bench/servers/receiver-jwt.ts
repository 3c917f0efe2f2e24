// receiver JWT: dynamic webhooks, RS256 JWTs (webhook-signature: <compact JWT>) checked against a local JWKS, dedupe on.
// A local key set ({ keys }), so no network: the same code path as a warm remote JWKS cache.
// toleranceSeconds 3600: deliveries are signed ahead of time (see bench/deliveries.ts); it costs nothing per request.
import express from "express";
import { geminiWebhooks } from "../library.js";
import { jwksOptionOrUnavailable, readConfig, serve } from "./serve.js";

const { jwks, audience } = readConfig();
const webhooks = jwksOptionOrUnavailable(() => geminiWebhooks({ jwks: { keys: jwks, audience }, toleranceSeconds: 3600 } as never));
if (webhooks) {
  webhooks.on("batch.succeeded", () => {});
  const app = express();
  app.use("/webhook", webhooks);
  serve(app);
}

// receiver v1a / receiver JWT: dynamic webhooks checked against a local JWKS (Ed25519 for v1a, RSA for RS256 JWTs),
// dedupe on. The runner feeds it v1a or JWT deliveries. A local key set ({ keys }), so no network: the same code
// path as a warm remote JWKS cache. toleranceSeconds 3600: deliveries are signed ahead of time (see
// bench/deliveries.ts); it costs nothing per request.
import express from "express";
import type { JSONWebKeySet } from "jose";
import { geminiWebhooks } from "../library.js";
import { readConfig, serve } from "./serve.js";

const { jwks, audience } = readConfig();
const webhooks = geminiWebhooks({ jwks: { keys: jwks as unknown as JSONWebKeySet, audience }, toleranceSeconds: 3600 });
webhooks.on("batch.succeeded", () => {});
const app = express();
app.use("/webhook", webhooks);
serve(app);

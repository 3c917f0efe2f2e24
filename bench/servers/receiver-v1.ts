// receiver v1: geminiWebhooks with a static secret (HMAC with node:crypto) and the default memory dedupe store.
// Also serves the "duplicates" variant: there the client repeats one webhook-id.
import express from "express";
import { geminiWebhooks } from "../library.js";
import { readConfig, serve } from "./serve.js";

const webhooks = geminiWebhooks({ secret: readConfig().secret });
webhooks.on("batch.succeeded", () => {});
const app = express();
// Routed like the floor (app.post): both pay the same routing, so the rows differ only by the receiver.
app.post("/webhook", webhooks);
serve(app);

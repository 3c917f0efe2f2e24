// receiver v1: geminiWebhooks with a static secret (HMAC via node:crypto) and the default memory dedupe store.
// Also serves the "duplicates" variant: there the client repeats one webhook-id.
import express from "express";
import { geminiWebhooks } from "../library.js";
import { readConfig, serve } from "./serve.js";

const webhooks = geminiWebhooks({ secret: readConfig().secret });
webhooks.on("batch.succeeded", () => {});
const app = express();
app.use("/webhook", webhooks);
serve(app);

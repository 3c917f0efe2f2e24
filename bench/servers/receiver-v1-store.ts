// receiver v1 with another dedupe setting, for `--server` experiments: how much of the receiver's cost is its
// memory store, filling and churning as the run goes on.
import express from "express";
import type { DedupeStore } from "../../src/index.js";
import { geminiWebhooks } from "../library.js";
import { readConfig, serve } from "./serve.js";

export function serveReceiverWith(dedupe: DedupeStore | false): void {
  const webhooks = geminiWebhooks({ secret: readConfig().secret, dedupe });
  webhooks.on("batch.succeeded", () => {});
  const app = express();
  app.use("/webhook", webhooks);
  serve(app);
}

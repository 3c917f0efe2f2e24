// docs handler: the hand-written handler from Gemini's webhook docs (JS sample):
// express.text({ type: "application/json" }), then standardwebhooks' Webhook.verify(), which JSON-parses the body.
// The Webhook is built once at start-up (the docs build it in the handler; once is the stricter baseline).
import express from "express";
import { Webhook } from "standardwebhooks";
import { readConfig, serve } from "./serve.js";

const wh = new Webhook(readConfig().secret);
const app = express();
app.use(express.text({ type: "application/json" }));
app.post("/webhook", (req, res) => {
  try {
    const event = wh.verify(req.body as string, req.headers as Record<string, string>) as { type: string };
    if (event.type === "batch.succeeded") {
      // the user's handler would run here
    }
    res.status(200).json({ status: "received" });
  } catch {
    res.status(400).json({ error: "invalid_signature" });
  }
});
serve(app);
